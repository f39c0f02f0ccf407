"""nbgrader preprocessors added to its converters through nbgrader_config.py."""
from .guarded_execute import GuardedExecute
from .hide_hidden_test_traces import HideHiddenTestTraces

__all__ = ["GuardedExecute", "HideHiddenTestTraces"]
