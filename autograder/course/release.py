"""Generate the student release with nbgrader and keep release/ in sync with source/."""
import filecmp
import pathlib
import shutil
import tempfile

from autograder.course import layout
from autograder.course.scratch_course import Course


def generate(workdir):
    """Run ``nbgrader generate_assignment`` in a fresh course under workdir; return its release folder."""
    return Course.create(pathlib.Path(workdir) / "course").generate_assignment()


def differences(generated, committed=layout.RELEASE_DIR):
    """Relative paths that differ between two release folders (missing, extra or changed)."""
    generated, committed = pathlib.Path(generated), pathlib.Path(committed)
    if not committed.exists():
        return [f"{committed} is missing"]
    out = []

    def walk(cmp, prefix=""):
        out.extend(f"only in the generated release: {prefix}{name}" for name in cmp.left_only)
        out.extend(f"only in release/: {prefix}{name}" for name in cmp.right_only)
        out.extend(f"changed: {prefix}{name}" for name in cmp.diff_files + cmp.funny_files)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    cmp = filecmp.dircmp(generated, committed, ignore=["__pycache__", ".ipynb_checkpoints"])
    cmp.diff_files[:] = [n for n in cmp.common_files
                         if not filecmp.cmp(generated / n, committed / n, shallow=False)]
    walk(cmp)
    return out


def update():
    """Regenerate release/ from source/ (the only way release/ should change)."""
    with tempfile.TemporaryDirectory() as tmp:
        generated = generate(tmp)
        if layout.RELEASE_DIR.exists():
            shutil.rmtree(layout.RELEASE_DIR)
        shutil.copytree(generated, layout.RELEASE_DIR,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return layout.RELEASE_DIR


def check():
    """Differences between release/ and a fresh generation (empty when in sync)."""
    with tempfile.TemporaryDirectory() as tmp:
        return differences(generate(tmp))
