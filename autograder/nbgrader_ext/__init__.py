"""nbgrader extensions: the preprocessors and exporter nbgrader_config.py names."""
from .clear_test_cells_hidden_tests import ClearTestCellsHiddenTests
from .guarded_execute import GuardedExecute
from .hide_hidden_test_traces import HideHiddenTestTraces
from .restore_cell_metadata import RestoreCellMetadata
from .unlink_course_files import UnlinkCourseFiles

__all__ = ["ClearTestCellsHiddenTests", "GuardedExecute", "HideHiddenTestTraces", "RestoreCellMetadata",
           "UnlinkCourseFiles"]
