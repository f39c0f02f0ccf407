"""Build student submissions from the release notebook, as a student fills it in."""
import re

import nbformat

from autograder.course import layout
from autograder.course.notebook_code import cells_by_grade_id, grade_id, strip_solution_markers

CLASS_HEADER = re.compile(r"^class (\w+)\b", re.MULTILINE)


def reference_answers():
    """{grade_id: the solution notebook's answer, markers removed} for every solution cell."""
    return {gid: strip_solution_markers(cell.source)
            for gid, cell in cells_by_grade_id(layout.SOURCE_NOTEBOOK).items()
            if cell.metadata["nbgrader"].get("solution")}


def split_classes(source):
    """Split Python source holding several top-level classes into {class name: source}."""
    starts = [(m.start(), m.group(1)) for m in CLASS_HEADER.finditer(source)]
    return {name: source[start:end].rstrip() + "\n"
            for (start, name), (end, _) in zip(starts, starts[1:] + [(len(source), None)], strict=True)}


def build(answers, release_notebook=layout.RELEASE_NOTEBOOK):
    """Release notebook with each solution cell's source replaced by answers[grade_id]."""
    notebook = nbformat.read(str(release_notebook), as_version=4)
    unknown = set(answers) - {grade_id(cell) for cell in notebook.cells}
    if unknown:
        raise KeyError(f"no solution cells named {sorted(unknown)}")
    for cell in notebook.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    return notebook


def mutate(answers, cell, old, new):
    """Copy of answers with one exact text replacement in one cell (which must match once)."""
    source = answers[cell]
    if source.count(old) != 1:
        raise ValueError(f"mutation target must occur exactly once in cell {cell!r}: {old!r}")
    return {**answers, cell: source.replace(old, new)}


def write(notebook, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path
