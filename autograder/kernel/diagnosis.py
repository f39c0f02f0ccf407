"""How a check names a mistake: an identifier attached to the AssertionError it raises.

The identifier travels as a PEP 678 note, ``diagnosis: <id>``. The message a student reads is
unchanged; IPython prints notes after the traceback, so the grader reads the identifier back from
the autograded notebook (and the feedback, which keeps only a hidden test's message, never shows it).
Each assignment keeps its own catalogue of identifiers and titles (for Task 4.1:
``autograder.kernel.task4_1.diagnoses``); the ones below mean the same in every assignment.
"""
import re

NOTE_PREFIX = "diagnosis: "
IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9.-]*")

# Mistakes the call harness recognises in any assignment's code.
GENERIC = {
    "not-implemented": "left unimplemented (NotImplementedError)",
    "code-raises": "the code raises an exception on valid input",
    "shape-error": "a shape mismatch inside backward or forward",
    "too-slow": "a call used up its CPU budget, or waited past the wall-clock limit, without returning",
}

UNNAMED = "unnamed"
# IPython colours tracebacks; the note is the last line, plain, but strip colour codes anyway.
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def tag(exc, diagnosis, catalogue=GENERIC):
    """``exc`` with its diagnosis attached (a note); ``None`` leaves the mistake unnamed."""
    if diagnosis is not None:
        if diagnosis not in catalogue:
            raise KeyError(f"unknown diagnosis {diagnosis!r}: add it to the assignment's catalogue")
        exc.add_note(NOTE_PREFIX + diagnosis)
    return exc


def of_exception(exc, catalogue=None):
    """The diagnosis attached to an exception (one of ``catalogue`` if given), or None."""
    return _from_lines(getattr(exc, "__notes__", ()), catalogue)


def of_error_output(output, catalogue=None):
    """The diagnosis in a notebook's error output (its traceback lines; one of ``catalogue`` if given), or None."""
    return _from_lines(output.get("traceback", ()), catalogue)


def _from_lines(lines, catalogue):
    for line in reversed(list(lines)):
        for part in ANSI.sub("", str(line)).splitlines():
            found = part[len(NOTE_PREFIX):]
            known = catalogue is None or found in catalogue
            if part.startswith(NOTE_PREFIX) and IDENTIFIER.fullmatch(found) and known:
                return found
    return None
