"""The two kinds of failure the grader knows, at the root of every exception it defines.

* ``UserError``: bad input from whoever ran the command (a roster, an LMS download, a folder, an
  option). Nothing is done; the command exits 2 with a sentence that says what to fix.
* ``GraderFault``: the grading machine failed (a worker, the database, the disk, a missing tool).
  Never a student's score: the command refuses to start, or the row is a ``grader-error`` that the
  next run grades again.

The command line maps each to its exit code in one table (``autograder.__main__.ERROR_EXIT_CODES``).
Errors raised inside the student's kernel are named in ``autograder.kernel.cell_errors``.
"""


class UserError(ValueError):
    """Bad input: say what is wrong and what to do about it."""


class GraderFault(RuntimeError):
    """A fault of the grading machine, not of the submission: never a student's score."""


class WorkIncomplete(GraderFault):
    """The machine stopped the work part-way (a full disk): what was saved stays; rerun after the fix."""
