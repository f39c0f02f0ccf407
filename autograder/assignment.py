"""An assignment as data: what the grader needs to know about one folder of source/, read from its
``assignment.toml`` (for Task 4.1: source/task4_1/assignment.toml).

The grader's stages take the assignment from here instead of naming it: the notebook, the graded
classes, which cells may take long, the kernel-side checks module, the data to preload, the report's title.
"""
import dataclasses
import functools
import importlib
import pathlib
import tomllib

from autograder import dataset
from autograder.errors import UserError

FILE = "assignment.toml"


@dataclasses.dataclass(frozen=True)
class Assignment:
    name: str                    # nbgrader's assignment id: the folder's name in source/
    title: str                   # what reports and pages call it
    folder: pathlib.Path         # its folder in source/
    notebook: str                # the graded notebook's file name
    checks: str | None = None    # the kernel-side module its test cells import (None: they import none)
    diagnoses: str | None = None  # the kernel-side module whose TITLES name its mistakes (None: generic ones)
    classes: dict = dataclasses.field(default_factory=dict)     # graded class name -> grade_id of its cell
    long_cells: tuple = ()       # grade_ids allowed the full cell timeout
    self_timed_cells: tuple = ()  # long cells whose checks bound each call of student code
    data: dataset.Dataset | None = None  # what its notebook reads besides its folder (None: nothing)

    @property
    def notebook_stem(self):
        return pathlib.PurePath(self.notebook).stem

    @property
    def source_notebook(self):
        return self.folder / self.notebook

    def catalogue(self):
        """{identifier: title} of the mistakes its checks can name (autograder/kernel/diagnosis.py)."""
        from autograder.kernel import diagnosis

        if self.diagnoses is None:
            return dict(diagnosis.GENERIC)
        return importlib.import_module(self.diagnoses).TITLES

    def released_files(self):
        """Names of the files students receive beside the notebook (not this description)."""
        return frozenset(path.name for path in self.folder.iterdir()
                         if path.is_file() and path.suffix != ".ipynb" and path.name != FILE)

    def student_dir(self, course_root, step, student_id):
        """nbgrader's folder of one student's work in a course: <root>/<step>/<student>/<assignment>."""
        return pathlib.Path(course_root) / step / student_id / self.name

    def student_notebook(self, course_root, step, student_id, suffix=".ipynb"):
        """The notebook inside student_dir (step: submitted, autograded; feedback with suffix .html)."""
        return self.student_dir(course_root, step, student_id) / f"{self.notebook_stem}{suffix}"

    def release_notebook(self, course_root):
        """The student version nbgrader's generate_assignment wrote in a course."""
        return pathlib.Path(course_root) / "release" / self.name / self.notebook


def load(folder):
    """The Assignment described by ``folder``/assignment.toml; UserError saying what to fix if it cannot be read."""
    folder = pathlib.Path(folder)
    path = folder / FILE
    try:
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{folder} has no {FILE}: it is not a graded assignment (see docs/instructor.md)") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{path} cannot be read: {exc}") from None
    cells, missing = spec.get("cells", {}), [key for key in ("name", "notebook") if key not in spec]
    if missing:
        raise UserError(f"{path} lacks {', '.join(missing)}: every assignment.toml names its assignment and notebook")
    if spec["name"] != folder.name:
        raise UserError(f"{path} names the assignment {spec['name']!r}, but its folder is {folder.name!r}: "
                        "nbgrader knows an assignment by its folder's name, so make them equal")
    if not (folder / spec["notebook"]).is_file():
        raise UserError(f"{path} names the notebook {spec['notebook']!r}, which is not in {folder}")
    return Assignment(name=spec["name"], title=spec.get("title", spec["name"]), folder=folder,
                      notebook=spec["notebook"], checks=spec.get("checks"), diagnoses=spec.get("diagnoses"),
                      classes=dict(cells.get("classes", {})),
                      long_cells=tuple(cells.get("long", ())), self_timed_cells=tuple(cells.get("self_timed", ())),
                      data=dataset.from_table(spec.get("data"), folder, path))


@functools.cache
def load_cached(folder):
    """load(), once per folder and process (a worker grades many submissions of one assignment)."""
    return load(folder)


def graded_in(source_root):
    """Every assignment of a course's source/ folder that has an assignment.toml, by name."""
    folders = sorted(path.parent for path in pathlib.Path(source_root).glob(f"*/{FILE}"))
    return {folder.name: load(folder) for folder in folders}


def cell_timing(assignments):
    """GuardedExecute's per-assignment cell classes: {name: {"long": [...], "self_timed": [...]}}."""
    return {a.name: {"long": list(a.long_cells), "self_timed": list(a.self_timed_cells)} for a in assignments}
