"""The errors a graded notebook's cells can end with, by the name the grader reads back.

A cell's error output carries only the exception's class name (``ename``). The kernel side raises
the first three; the grader's execution stage writes ``NOTEBOOK_TIME_LIMIT`` and ``KERNEL_SILENT_AT_START``,
and nbclient the last two.
The grade command maps each name to a status (grading/grade_one.py), so every name is defined here once.
"""


class StudentCodeTimeout(AssertionError):
    """A call of student code used its CPU budget, or blocked past the wall-clock limit, without returning."""


class GradingMachineBusy(BaseException):
    """The wall-clock limit ran out while the kernel was waiting for a CPU: a fault of the machine.

    The grade command turns it into a ``grader-error`` row (graded again by the next run). A
    BaseException, so that no ``except Exception`` in the checks turns it into a failed test.
    """


class IntegrityError(AssertionError):
    """The notebook changed something the tests rely on; the test cell cannot be trusted."""


STUDENT_CODE_TIMEOUT = StudentCodeTimeout.__name__
GRADING_MACHINE_BUSY = GradingMachineBusy.__name__
INTEGRITY_ERROR = IntegrityError.__name__
NOTEBOOK_TIME_LIMIT = "NotebookTimeLimit"   # the notebook's execution budget ran out before this cell
KERNEL_SILENT_AT_START = "KernelSilentAtStart"  # the kernel never answered before the first cell: the machine's fault
CELL_TIMEOUT = "CellTimeoutError"           # nbclient: the cell's own timeout
DEAD_KERNEL = "DeadKernelError"             # nbclient: the kernel died or stopped answering
