"""Which layout a class's submissions are in, and why (the grade command prints the reason)."""
from autograder.errors import UserError
from autograder.lms import names

TITLES = {"nbgrader": "an nbgrader tree", "canvas": "a Canvas download", "moodle": "a Moodle download",
          "pattern": "files named by student id"}
SOURCES = ("auto", "nbgrader", "canvas", "moodle", "pattern")


class LayoutError(UserError):
    """--source names a layout the submissions are not in."""


def layout(top_names, is_tree, source, regex, assignment="<assignment>"):
    """(layout, reason) for the top-level names of SUBMISSIONS of ``assignment``; LayoutError when ``source``
    does not fit."""
    counts = {lms: sum(names.entry(name, lms) is not None for name in top_names) for lms in ("canvas", "moodle")}
    total = len(top_names)
    if source == "nbgrader" or (source == "auto" and is_tree):
        if not is_tree:
            raise LayoutError(f"--source nbgrader: no <student>/{assignment}/ folders here; give nbgrader's "
                              "submitted/ folder (or the exchange's collected tree), or another --source")
        return "nbgrader", "folders <student>/<assignment>/, as nbgrader's submitted/ and the exchange's collect write"
    if source in ("canvas", "moodle"):
        if not counts[source]:
            raise LayoutError(f"--source {source}: none of the {total} names is {source.capitalize()}'s "
                              f"({_shape(source)}); is this the right folder or zip?")
        return source, f"as asked; {counts[source]} of {total} names are {_shape(source)}"
    if source == "auto":
        best = max(counts, key=counts.get)
        if counts[best] and counts[best] * 2 >= total:
            return best, f"{counts[best]} of {total} names are {_shape(best)}"
    return "pattern", f"names start with the student id (--pattern {regex.pattern!r})"


def _shape(lms):
    return ("<name>[_LATE]_<user id>_<attachment id>_<file>" if lms == "canvas"
            else "<Full name>_<participant id>_assignsubmission_<plugin>")
