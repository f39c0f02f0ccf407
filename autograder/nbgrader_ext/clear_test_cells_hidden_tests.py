"""Feedback stage: nbgrader's ClearHiddenTests, applied to test cells only.

nbgrader looks for its ``BEGIN HIDDEN TESTS`` markers in every cell and fails the
whole feedback run when a cell holds them unpaired, nested, or outside a test
cell.  After autograding, test cells hold the instructor's source (OverwriteCells
restores it from the gradebook); any marker text elsewhere was typed by a student
(a comment, a string, a written answer) and hides nothing.  Those cells are left
as they are.
"""
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests


class ClearTestCellsHiddenTests(ClearHiddenTests):

    def preprocess_cell(self, cell, resources, cell_index):
        if utils.is_grade(cell) and not utils.is_solution(cell):
            return super().preprocess_cell(cell, resources, cell_index)
        return cell, resources
