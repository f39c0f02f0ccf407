"""Grading: intake, one submission, workers, the class run, gradebook, preflight, publish."""
