"""The kernel-side package (autograder/kernel/) runs inside the student's kernel: it imports only the
standard library, numpy, IPython and itself, never the rest of the grader; and the modules the
notebook's test cells import live in it."""
import ast
import pathlib
import sys

from autograder.course import layout

KERNEL = layout.REPO / "autograder" / "kernel"
ALLOWED_THIRD_PARTY = {"numpy", "IPython"}  # IPython: the kernel itself, whose shell integrity watches


def imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{path}: relative import; name the module in full")
            yield node.module


def test_the_kernel_package_imports_nothing_of_the_grader():
    offending = []
    for path in sorted(KERNEL.rglob("*.py")):
        for module in imported_modules(path):
            top = module.split(".")[0]
            if module == "autograder.kernel" or module.startswith("autograder.kernel."):
                continue
            if top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY:
                continue
            offending.append(f"{path.relative_to(layout.REPO)}: import {module}")
    assert not offending, "the kernel side may import only the standard library, numpy and autograder.kernel:\n" \
        + "\n".join(offending)


def test_the_kernel_package_is_where_the_notebook_looks():
    """Every autograder module the solution notebook's cells import is in the kernel package."""
    import nbformat

    notebook = nbformat.read(str(layout.SOURCE_NOTEBOOK), as_version=4)
    named = {word.strip("\"'()") for cell in notebook.cells if cell.cell_type == "code"
             for word in cell.source.replace("(", " ").split() if word.strip("\"'()").startswith("autograder")}
    assert named, "the notebook's hidden tests no longer import their checks"
    outside = sorted(name for name in named if not name.startswith("autograder.kernel."))
    assert not outside, f"the notebook imports grader code from outside autograder/kernel/: {outside}"
    assert all((layout.REPO / pathlib.Path(*name.split("."))).with_suffix(".py").is_file() for name in named)
