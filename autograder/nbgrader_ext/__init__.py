"""nbgrader extensions: the preprocessors, exporter and exchange classes nbgrader_config.py names.

The exchange classes import nbgrader's exchange when used (``autograder.nbgrader_ext.owner_checked_collect``).
"""
from .clear_test_cells_hidden_tests import ClearTestCellsHiddenTests
from .guarded_execute import GuardedExecute
from .hide_hidden_test_traces import HideHiddenTestTraces
from .label_graded_cells import LabelGradedCells
from .restore_cell_metadata import RestoreCellMetadata
from .sanitize_student_content import SanitizeStudentContent
from .unlink_course_files import UnlinkCourseFiles

__all__ = ["ClearTestCellsHiddenTests", "GuardedExecute", "HideHiddenTestTraces", "LabelGradedCells",
           "RestoreCellMetadata",
           "SanitizeStudentContent", "UnlinkCourseFiles"]
