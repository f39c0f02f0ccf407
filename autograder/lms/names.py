"""What an LMS download's entry names say.

Canvas (lib/content_zipper.rb): a flat zip of ``<slug>[_LATE]_<user id>_<attachment id>_<file name>``;
the slug is the sortable name lowercased with every non-word character removed (accents kept), and
``_<digits>_`` inside it collapsed, so the first two all-digit tokens are the user and attachment ids
(the rule Canvas's own Re-Upload uses). Anonymous grading: ``[LATE_]anon_<anonymous id>_<attachment
id>_<file name>``. Online text and URL entries end ``_text.html`` / ``_link.html`` and carry no
attachment id. A resubmitted file's name gets ``-1``, ``-2`` before its extension.

Moodle (mod/assign downloader): ``<Full name>_<participant id>_assignsubmission_<plugin>`` folders
(4.1+; before 4.1 with a final ``_``), or flat ``<Full name>_<participant id>_assignsubmission_file_
<file name>``; the participant id is per assignment; the name part never holds ``_``.
"""
import dataclasses
import re

MOODLE = re.compile(r"^(?P<name>[^_/]*)_(?P<participant>\d+)_(?P<kind>assignsubmission_[a-z0-9]+)(?P<rest>_.*|/.*)?$")


@dataclasses.dataclass(frozen=True)
class LmsEntry:
    """Whose submission one top-level entry is, as its name says."""
    lms: str                    # "canvas" or "moodle"
    student_id: str             # canvas-<user id>, canvas-anon-<id>, moodle-<participant id>
    lms_id: str                 # Canvas user id (or anonymous id) / Moodle participant id
    late: bool = False          # Canvas's LATE tag
    attachment_id: int = 0      # Canvas: newer files of a student have larger ids
    file_name: str = ""         # the student's own file name (Canvas), "" for a Moodle folder
    kind: str = ""              # Canvas "file" / "text" / "link"; Moodle's plugin, e.g. assignsubmission_file


def canvas_entry(name):
    """The LmsEntry of a Canvas download name, or None when the name is not Canvas's."""
    tokens = name.split("_")
    late = any(t.lower() == "late" for t in tokens[:-1])
    core = [t for t in tokens if t.lower() != "late"] if late else tokens
    if len(core) >= 3 and core[0] == "anon":
        anon = core[1]
        if not re.fullmatch(r"[A-Za-z0-9]{1,20}", anon):
            return None
        rest = core[2:]
        student_id, lms_id = f"canvas-anon-{anon}", anon
    else:
        digits = [i for i, t in enumerate(core) if t.isdigit()]
        if not digits or digits[0] == 0:
            return None
        lms_id = core[digits[0]]
        rest = core[digits[0] + 1:]
        student_id = f"canvas-{lms_id}"
    if rest in (["text.html"], ["link.html"]):
        return LmsEntry("canvas", student_id, lms_id, late, 0, "", rest[0].split(".")[0])
    if len(rest) < 2 or not rest[0].isdigit():
        return None
    return LmsEntry("canvas", student_id, lms_id, late, int(rest[0]), "_".join(rest[1:]), "file")


def moodle_entry(name):
    """The LmsEntry of a Moodle download folder or flat file name, or None."""
    match = MOODLE.match(name)
    if not match:
        return None
    rest = (match.group("rest") or "").lstrip("_/")
    return LmsEntry("moodle", f"moodle-{match.group('participant')}", match.group("participant"),
                    file_name=rest, kind=match.group("kind"))


def entry(name, lms):
    return canvas_entry(name) if lms == "canvas" else moodle_entry(name)


RESUBMISSION = re.compile(r"^(?P<stem>.*?)-(?P<n>\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
                          r"(?P<ext>(\.[A-Za-z][A-Za-z0-9]*)*\.[A-Za-z0-9]*)$")


def without_resubmission_suffix(file_name):
    """``numpy_neural_network-2.ipynb`` -> ``numpy_neural_network.ipynb`` (Canvas renames a resubmitted file)."""
    match = RESUBMISSION.match(file_name)
    return f"{match.group('stem')}{match.group('ext')}" if match else file_name
