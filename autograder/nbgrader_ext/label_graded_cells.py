"""Feedback stage: each graded cell gets a name and says whether a person still has to score it.

nbgrader's feedback template lists every test cell as "Test cell" and prints a written answer
nobody has read yet as "Score: 0.0 / 2.0", which a student reads as a zero. This stage, run
after GetGrades, writes two keys the course's feedback template reads:

- ``label``: a test cell's first comment line without its point count ("Hidden tests: ReLU
  backward against centred differences"); a written answer is "Written answer";
- ``awaiting_person``: the gradebook says the cell needs a manual grade and none was given
  (and ``resources["nbgrader"]["awaiting_points"]``, their points, for the page's heading).
"""
import re

from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor

POINTS = re.compile(r"\s*\(\s*\d+(?:\.\d+)?\s+points?\s*\)\.?\s*$|\s*\.\s*$")
MAX_LABEL = 90


def cell_label(cell):
    """A reader's name for a graded cell, from the cell itself (the instructor wrote test cells)."""
    if cell.cell_type == "markdown":
        return "Written answer"
    if utils.is_solution(cell):
        return "Your code"
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    if first.startswith("#"):
        label = POINTS.sub("", first.lstrip("#").strip())
        if label:
            return label if len(label) <= MAX_LABEL else label[:MAX_LABEL - 1].rstrip() + "…"
    return cell.metadata.nbgrader["grade_id"].replace("_", " ")


class LabelGradedCells(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            grades = gradebook.find_submission_notebook(info["notebook"], info["assignment"], info["student"]).grades
            self._awaiting = {grade.name for grade in grades if grade.needs_manual_grade}
            info["awaiting_points"] = sum(grade.max_score for grade in grades if grade.needs_manual_grade)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        if utils.is_grade(cell) or utils.is_task(cell):
            cell.metadata.nbgrader["label"] = cell_label(cell)
            cell.metadata.nbgrader["awaiting_person"] = cell.metadata.nbgrader["grade_id"] in self._awaiting
        return cell, resources
