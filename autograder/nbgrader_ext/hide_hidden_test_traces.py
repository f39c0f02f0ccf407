"""Feedback stage: keep a hidden test's verdict and diagnosis, drop its traceback.

nbgrader's ClearHiddenTests removes the hidden source of a test cell, but the
error output still carries a traceback whose frames quote that source and the
grader's check code.  Students get the exception name and message (the
diagnosis) and nothing else.
"""
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode


class HideHiddenTestTraces(NbGraderPreprocessor):

    begin_test_delimeter = Unicode("BEGIN HIDDEN TESTS", help="marks a hidden test region").tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and utils.is_grade(cell) and self.begin_test_delimeter in cell.source:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
