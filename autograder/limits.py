"""The resource limits of grading one submission.

Each default lives here once: the grade command's options, nbgrader_config.py and the
GuardedExecute stage read them. It imports nothing of the grader: nbgrader's stages load it too.
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's grading."""

    cell_timeout: int = 180            # s per data or training cell -> nbgrader --Execute.timeout
    quick_cell_timeout: int = 15       # s per other cell -> GuardedExecute.quick_timeout
    after_hang_timeout: int = 6        # s per later cell once one has hung -> GuardedExecute.after_hang_timeout
    wall_seconds: int = 900            # whole submission (autograde + feedback)
    memory_bytes: int = 4 * 2**30      # RLIMIT_AS of the student's kernel
    max_processes: int = 256           # RLIMIT_NPROC of the sandbox user
    max_file_bytes: int = 256 * 2**20  # RLIMIT_FSIZE of the kernel
    max_output_lines: int = 1000       # nbgrader --LimitOutput.max_lines
    # BLAS threads of every kernel that runs student code: the grade command's, plain nbgrader's (through
    # nbgrader_config.py: autograde, validate, Formgrader's buttons), the hub's users'. On a machine that
    # other kernels keep busy, more threads per kernel fight each other for the same cores (one course
    # server measured 17x slower with the library's default); one thread each is never slower there.
    kernel_blas_threads: int = 1

    @property
    def notebook_seconds(self):
        """Execution budget of the notebook: the wall limit minus room for nbgrader and feedback.

        Running out of it stops the notebook inside nbgrader, so the points so far are saved;
        the wall limit itself (which kills nbgrader) is only the last resort.
        """
        return max(1, int(self.wall_seconds - max(30, self.wall_seconds // 10)))
