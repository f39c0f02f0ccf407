"""Preliminary feedback while an assignment is open: the hub's grading service (issue 34).

``policy`` (what the instructor allows: how many graded submissions per window, a quiet period
before the due date, what students are shown), ``inbox`` (new submissions in nbgrader's exchange,
each checked to be its author's), ``ledger`` (every submission seen and what became of it, on disk),
``pages`` (what a student fetches: the preliminary feedback or where their submission stands) and
``service`` (the loop that ties them to the class pool's workers).
"""
