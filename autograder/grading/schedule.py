"""The order submissions are handed to workers: the expected-longest first.

With a few submissions per worker the last long one sets the finish (a correct notebook
runs every test and the MNIST training; a mutant or a blank one stops early), so the long
ones go first and the short ones fill the gaps at the end.  The expected time is the one
the last run measured for that student (a regrade), else a share of a typical correct
submission's time: the share of the release's stubs the student has replaced.
"""
import functools
import re

STUB = re.compile(rb'raise NotImplementedError\(\)(?=\\n|")')  # a code line in the JSON, not prose about it
TYPICAL_SECONDS = 5.0  # a correct submission through the grade command on a 2-core machine (2026-11-29)


@functools.cache
def release_stubs(release_notebook):
    return max(1, len(STUB.findall(release_notebook.read_bytes())))


def expected_seconds(submission, release_notebook, previous=None):
    """Seconds ``submission`` should take: measured by the last run, else estimated from its stubs (of
    those in ``release_notebook``, the assignment as released)."""
    if previous is not None and previous.seconds > 0:
        return previous.seconds
    try:
        stubs = len(STUB.findall(submission.notebook.read_bytes()))
    except (OSError, AttributeError):
        return 0.0
    return TYPICAL_SECONDS * max(0.0, 1 - stubs / release_stubs(release_notebook))


def longest_first(submissions, previous_result, release_notebook):
    """``submissions`` sorted longest first; ``previous_result(student_id)``: its last Result or None."""
    return sorted(submissions, key=lambda s: expected_seconds(s, release_notebook, previous_result(s.student_id)),
                  reverse=True)
