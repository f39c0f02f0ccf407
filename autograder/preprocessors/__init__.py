"""nbgrader preprocessors added to its converters through nbgrader_config.py."""
from .guarded_execute import GuardedExecute
from .hide_hidden_test_traces import HideHiddenTestTraces
from .restore_cell_metadata import RestoreCellMetadata

__all__ = ["GuardedExecute", "HideHiddenTestTraces", "RestoreCellMetadata"]
