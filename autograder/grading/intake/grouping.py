"""Grouping entries into rows by the layout: one per student folder of an nbgrader tree, per student
id of files named after the student, or per student of a Canvas or Moodle download; a roster adds the
students who sent nothing."""
import collections
import dataclasses
import datetime

from autograder.grading.intake.records import UNKNOWN_PREFIX, Group, IntakeError, Submission, is_notebook, newest_entry
from autograder.lms import rosters
from autograder.result import Status

# ---------------------------------------------------------------- a zip's wrapping folder, the tree test

def unwrap(entries, assignment):
    """Drop one folder that wraps a whole zip (a zipped ``submitted/`` or downloads folder).

    Only when what is inside is clearly a layout: an nbgrader tree, or files only.
    Refused entries do not count, so one ``../x`` member cannot defeat the unwrapping.
    """
    tops = {e.parts[0] for e in entries if e.kind != "refused"}
    if len(tops) != 1 or is_tree(entries, assignment):
        return entries
    wrapper = tops.pop()
    inner = [dataclasses.replace(e, parts=e.parts[1:]) for e in entries
             if e.parts[0] == wrapper and len(e.parts) > 1]
    outside = [e for e in entries if e.parts[0] != wrapper]
    accepted = [e for e in inner if e.kind != "refused"]
    if accepted and (is_tree(inner, assignment) or all(len(e.parts) == 1 for e in accepted)):
        return inner + outside
    return entries


def is_tree(entries, assignment):
    """True when some top-level folder holds an ``<assignment>/`` folder."""
    return any(len(e.parts) >= 2 and e.parts[1] == assignment and (len(e.parts) > 2 or e.kind != "file")
               for e in entries)


# ---------------------------------------------------------------- grouping into rows

def _by_top(entries):
    """{top-level name: its entries}, in name order."""
    groups = collections.defaultdict(list)
    for entry in entries:
        groups[entry.parts[0]].append(entry)
    return dict(sorted(groups.items()))


def _top_entry(members):
    """The entry for the top-level item itself, if listed (zips may omit folder entries)."""
    return next((e for e in members if len(e.parts) == 1), None)


def _is_folder(members):
    top = _top_entry(members)
    return any(len(e.parts) > 1 for e in members) or (top is not None and top.kind == "dir")


def tree_groups(entries, assignment):
    """One group per student folder of an nbgrader tree; stray notebooks beside them are rows too."""
    for name, members in _by_top(entries).items():
        top = _top_entry(members)
        if top is not None and top.kind == "refused":
            # a refused student folder (a symlink, unlistable) is that student's row
            student = None if is_notebook(name) else name
            yield Group(name, student, top.origin, [top], (top.status, top.detail))
        elif not _is_folder(members):
            # a loose notebook is a misplaced submission; other loose files are not submissions
            if is_notebook(name):
                yield Group(name, None, top.origin, [top],
                             (Status.BAD_FILENAME, f"{name} is not inside a <student>/{assignment}/ folder"))
        else:
            inside = [e for e in members if len(e.parts) >= 2 and e.parts[1] == assignment]
            if not inside:
                origin = top.origin if top is not None else newest_entry(members).origin
                yield Group(name, name, origin, [],
                             (Status.EMPTY, f"no {assignment}/ folder: nothing submitted for this assignment"))
                continue
            folder = next((e for e in inside if len(e.parts) == 2), None)   # zips may not list it
            yield Group(name, name, (folder or newest_entry(inside)).origin, inside)


def flat_groups(entries, ctx):
    """One group per student id found in the top-level names; unmatched names are rows of their own."""
    by_student = collections.defaultdict(list)
    for name, members in _by_top(entries).items():
        student = _student_from_name(name, ctx)
        if student is None:
            yield _unknown_group(name, members, ctx)
        else:
            by_student[student].extend(members)
    for student, members in sorted(by_student.items()):
        newest = newest_entry(members)
        yield Group(newest.parts[0], student, newest.origin, members)


def lms_groups(entries, lms, ctx):
    """One group per student of a Canvas or Moodle download, told by the LMS's own entry names."""
    from autograder.lms import names

    by_student = collections.defaultdict(list)
    for name, members in _by_top(entries).items():
        found = names.entry(name, lms)
        if found is None:
            yield Group(name, None, (_top_entry(members) or newest_entry(members)).origin, members,
                         (Status.BAD_FILENAME, f"{name} is not named as a {lms.capitalize()} download names a "
                                               "student's file: was it added to the download by hand?"))
            continue
        by_student[found.student_id].extend(dataclasses.replace(e, rank=found.attachment_id) for e in members)
    for student, members in sorted(by_student.items()):
        newest = newest_entry([e for e in members if is_notebook(e.name)] or members)
        late = names.entry(newest.parts[0], lms).late
        yield Group(newest.parts[0], student, newest.origin, members, late=late)


def with_roster(rows, roster, layout_name):
    """Rows for students on the roster who submitted nothing; submissions of nobody on it say so."""
    if roster.lms in ("canvas", "moodle") and roster.lms != layout_name:
        wanted = rosters.EXPORTS.get(layout_name, "a CSV of username,first_name,last_name")
        raise IntakeError(f"the roster {roster.path} is {roster.lms.capitalize()}'s, the submissions are "
                          f"{layout_name}: give the roster exported from the same LMS as the submissions, "
                          f"{wanted}")
    known = roster.students
    for row in rows:
        student = known.get(row.student_id)
        if student is None and not row.student_id.startswith(UNKNOWN_PREFIX):
            row.status, row.notebook = Status.NOT_ON_ROSTER, None
            row.detail = f"matches nobody on the roster {roster.path.name} (from {row.origin})"
        elif student is not None and student.submitted_at is not None and row.submitted_at is None:
            row.submitted_at = student.submitted_at.astimezone(datetime.UTC)
    submitted = {row.student_id for row in rows}
    rows += [Submission(student_id, None, Status.MISSING, f"{student.full_name or student_id}: on the roster, "
                        "nothing submitted", "", 0.0, "")
             for student_id, student in known.items() if student_id not in submitted]
    return rows


def _student_from_name(name, ctx):
    """The student id at the start of a downloaded file or folder name, or None."""
    match = ctx.regex.match(name)
    if not match or not match.group("student"):
        return None
    # "numpy_neural_network.ipynb" would match the default pattern as student "numpy"
    if name.lower().startswith(ctx.notebook_name.lower()) and match.end("student") <= len(ctx.notebook_name):
        return None
    return match.group("student")


def _unknown_group(name, members, ctx):
    top = _top_entry(members)
    origin = top.origin if top is not None else newest_entry(members).origin
    refused = [e for e in members if e.kind == "refused"]
    if refused:   # an unsafe entry is the bigger problem than an unknown student
        problem = (refused[0].status, refused[0].detail)
    else:
        problem = (Status.BAD_FILENAME, f"{name} does not start with a student id: rename it to "
                   "<student id>_<anything>.ipynb, or describe the names with --pattern (a regex with a "
                   "(?P<student>...) group)")
    return Group(name, None, origin, members, problem)
