"""Course tooling for Task 4.1: release, grading and checks built on nbgrader."""
