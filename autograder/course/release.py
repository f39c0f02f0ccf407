"""Generate the student release with nbgrader and keep release/ in sync with source/.

Two assignments are released: the graded one (``layout.ASSIGNMENT``) and the ungraded companion
(``layout.COMPANION``, no graded cells). Each becomes release/<name>/, as nbgrader's
generate_assignment writes it: notebooks without solutions or hidden tests, every other file of
the source folder copied beside them (symlinks in source/ become real files).
"""
import filecmp
import pathlib
import shutil
import tempfile

from autograder.course import layout
from autograder.course.scratch_course import Course

RELEASE_ROOT = layout.REPO / "release"
IGNORED = ("__pycache__", ".ipynb_checkpoints")


def generate(workdir):
    """Run ``nbgrader generate_assignment`` for every released assignment in a fresh course under workdir.

    Returns the course's release/ folder (one subfolder per assignment).
    """
    course = Course.create(pathlib.Path(workdir) / "course")  # holds source/task4_1/ already
    shutil.copytree(layout.COMPANION_SOURCE_DIR, course.root / "source" / layout.COMPANION,
                    ignore=shutil.ignore_patterns(*IGNORED))
    course.generate_assignment()
    course.nbgrader("generate_assignment", layout.COMPANION, "--force")
    return course.root / "release"


def differences(generated, committed=RELEASE_ROOT):
    """Relative paths that differ between two release/ folders (missing, extra or changed), per assignment."""
    generated, committed = pathlib.Path(generated), pathlib.Path(committed)
    out = []
    for name in layout.RELEASED:
        out += _differences(generated / name, committed / name, f"{name}/")
    return out


def _differences(generated, committed, prefix):
    if not committed.exists():
        return [f"{committed} is missing"]
    out = []

    def walk(cmp, prefix):
        out.extend(f"only in the generated release: {prefix}{name}" for name in cmp.left_only)
        out.extend(f"only in release/: {prefix}{name}" for name in cmp.right_only)
        out.extend(f"changed: {prefix}{name}" for name in cmp.diff_files + cmp.funny_files)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    cmp = filecmp.dircmp(generated, committed, ignore=list(IGNORED))
    cmp.diff_files[:] = [n for n in cmp.common_files
                         if not filecmp.cmp(generated / n, committed / n, shallow=False)]
    walk(cmp, prefix)
    return out


def update():
    """Regenerate release/ from source/ (the only way release/ should change); returns release/."""
    with tempfile.TemporaryDirectory() as tmp:
        generated = generate(tmp)
        for name in layout.RELEASED:
            target = RELEASE_ROOT / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(generated / name, target, ignore=shutil.ignore_patterns(*IGNORED))
    return RELEASE_ROOT


def check():
    """Differences between release/ and a fresh generation (empty when in sync)."""
    with tempfile.TemporaryDirectory() as tmp:
        return differences(generate(tmp))
