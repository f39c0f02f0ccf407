"""One error family: every exception the grader defines is a UserError (bad input, exit 2) or a
GraderFault (the machine, never a score), and the command line maps them to exit codes in one table.
The kernel side is apart: its errors end a graded cell and are read back by name (kernel/cell_errors.py)."""
import importlib
import inspect
import pkgutil

import pytest

import autograder
from autograder import __main__ as command_line
from autograder.errors import GraderFault, UserError

SKIPPED_PACKAGES = ("autograder.kernel",)   # runs inside the student's kernel; its own errors
NOT_IMPORTABLE_HERE = ("autograder.hub.jupyterhub_config",)   # a config file JupyterHub executes


def grader_modules():
    for info in pkgutil.walk_packages(autograder.__path__, "autograder."):
        if info.name.startswith(SKIPPED_PACKAGES) or info.name in NOT_IMPORTABLE_HERE or info.name.endswith("__main__"):
            continue
        yield importlib.import_module(info.name)


def defined_exceptions():
    return sorted({cls for module in grader_modules() for _, cls in inspect.getmembers(module, inspect.isclass)
                   if issubclass(cls, BaseException) and cls.__module__ == module.__name__},
                  key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def test_every_grader_exception_is_a_user_error_or_a_grader_fault():
    exceptions = defined_exceptions()
    assert len(exceptions) >= 15, [e.__qualname__ for e in exceptions]
    orphans = [f"{cls.__module__}.{cls.__qualname__}" for cls in exceptions
               if cls not in (UserError, GraderFault) and not issubclass(cls, (UserError, GraderFault))]
    assert not orphans, "exceptions outside the family (subclass autograder.errors.UserError or GraderFault):\n" \
        + "\n".join(orphans)


def test_no_exception_is_both():
    both = [cls.__qualname__ for cls in defined_exceptions()
            if issubclass(cls, UserError) and issubclass(cls, GraderFault)]
    assert not both


@pytest.mark.parametrize("qualified, code", [
    ("autograder.grading.intake.IntakeError", command_line.REFUSED),
    ("autograder.lms.rosters.RosterError", command_line.REFUSED),
    ("autograder.grading.preflight.PreflightFailed", command_line.REFUSED),
    ("autograder.grading.class_output.OutputFull", command_line.INCOMPLETE),
])
def test_the_exit_code_table(qualified, code):
    module, name = qualified.rsplit(".", 1)
    cls = getattr(importlib.import_module(module), name)
    error = cls.__new__(cls)
    assert command_line.exit_code_of(error) == code


def test_a_user_error_from_a_command_exits_2_with_a_sentence(tmp_path, capsys):
    """publish on a folder that `grade` never wrote: a UserError, reported in one line, exit 2."""
    assert command_line.main(["publish", "--out", str(tmp_path / "nowhere")]) == command_line.REFUSED
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
