"""nbgrader preprocessors added to its converters through nbgrader_config.py."""
from .hide_hidden_test_traces import HideHiddenTestTraces

__all__ = ["HideHiddenTestTraces"]
