"""Read the graded cells of a notebook and run them as plain Python."""
import re

import nbformat
import numpy as np

from autograder.course import layout

SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*(\n|\Z)", re.MULTILINE)


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def cells_by_grade_id(notebook_path):
    notebook = nbformat.read(str(notebook_path), as_version=4)
    return {grade_id(cell): cell for cell in notebook.cells if grade_id(cell)}


def strip_solution_markers(source):
    return SOLUTION_MARKERS.sub("", source)


def load_classes(notebook_path=layout.SOURCE_NOTEBOOK, names=tuple(layout.GRADED_CLASSES)):
    """Execute the class cells of a notebook; return {class name: class}."""
    cells = cells_by_grade_id(notebook_path)
    namespace = {"np": np}
    for name in layout.GRADED_CLASSES:
        exec(compile(strip_solution_markers(cells[layout.GRADED_CLASSES[name]].source),
                     f"<{name} cell>", "exec"), namespace)
    return {name: namespace[name] for name in names}
