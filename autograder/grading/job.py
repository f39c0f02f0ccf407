"""What every grading job of a class run shares, passed whole to every worker (local or Dask)."""
import dataclasses

from autograder.limits import Limits


@dataclasses.dataclass(frozen=True)
class JobSpec:
    """The settings one class run grades every submission with."""

    template: str                      # the built course every submission is graded in a copy of
    limits: Limits = Limits()
    threads: int | None = None         # BLAS threads of each kernel (None: the library's default)
    data_dir: str | None = None        # the assignment's data, decompressed and verified (None: it reads none)
    hide: tuple[str, ...] = ()         # folders student code must not see (submissions, --out)
    zygote: str | None = None          # socket of the kernel zygote, if one runs
    assignment: str = ""               # the assignment graded: its folder in the template's source/ ("": the only one)

    def to_json(self):
        return {**dataclasses.asdict(self), "hide": list(self.hide)}

    @classmethod
    def from_json(cls, data):
        return cls(**{**data, "limits": Limits(**data["limits"]), "hide": tuple(data["hide"])})
