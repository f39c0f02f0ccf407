"""What every grading job of a class run shares, passed whole to every worker (local or Dask).

Each default lives here once: the CLI's options and nbgrader_config.py read them.
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's grading."""

    cell_timeout: int = 180            # s per cell -> nbgrader --Execute.timeout
    wall_seconds: int = 900            # whole submission (autograde + feedback)
    memory_bytes: int = 4 * 2**30      # RLIMIT_AS of the student's kernel
    max_processes: int = 256           # RLIMIT_NPROC of the sandbox user
    max_file_bytes: int = 256 * 2**20  # RLIMIT_FSIZE of the kernel
    max_output_lines: int = 1000       # nbgrader --LimitOutput.max_lines

    @property
    def notebook_seconds(self):
        """Execution budget of the notebook: the wall limit minus room for nbgrader and feedback.

        Running out of it stops the notebook inside nbgrader, so the points so far are saved;
        the wall limit itself (which kills nbgrader) is only the last resort.
        """
        return max(1, int(self.wall_seconds - max(30, self.wall_seconds // 10)))


@dataclasses.dataclass(frozen=True)
class JobSpec:
    """The settings one class run grades every submission with."""

    template: str                      # the built course every submission is graded in a copy of
    limits: Limits = Limits()
    threads: int | None = None         # BLAS threads of each kernel (None: the library's default)
    data_dir: str | None = None        # the decompressed, verified MNIST folder
    hide: tuple[str, ...] = ()         # folders student code must not see (submissions, --out)
    zygote: str | None = None          # socket of the kernel zygote, if one runs

    def to_json(self):
        return {**dataclasses.asdict(self), "hide": list(self.hide)}

    @classmethod
    def from_json(cls, data):
        return cls(**{**data, "limits": Limits(**data["limits"]), "hide": tuple(data["hide"])})
