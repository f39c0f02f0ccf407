"""Canvas and Moodle downloads and rosters, built in the formats their own code writes.

Canvas: lib/content_zipper.rb (flat zip, ``<slug>[_LATE]_<user id>_<attachment id>_<file>``, the slug the
sortable name lowercased without non-word characters, accents kept), lib/gradebook_exporter.rb (the
gradebook CSV with its Points Possible row). Moodle: mod/assign's downloader (4.1+ folders
``<Full name>_<participant id>_assignsubmission_file``, earlier ones with a final ``_``, or flat names)
and assignfeedback_offline's grading worksheet (``Participant <id>``, English day-date-times).
"""
import csv
import io
import re
import zipfile

from autograder.course import synthetic_submissions

ASSIGNMENT_COLUMN = "Task 4.1: NumPy Neural Network (7001)"


def canvas_slug(sortable_name):
    return re.sub(r"[^\w]", "", re.sub(r"_(\d+)_", r"\1", sortable_name).lower())


def notebook_bytes(answers=None):
    import nbformat

    return nbformat.writes(synthetic_submissions.build(answers or {})).encode()


# Canvas: (sortable name, user id, section, [(attachment id, late, file name, content)])
def canvas_class(correct=None, mistaken=None):
    blank = notebook_bytes()
    correct, mistaken = correct or blank, mistaken or blank
    return [
        ("O'Brien, Zoë", 1001, "Section A", [(5001, False, "numpy_neural_network.ipynb", mistaken),
                                             (5007, False, "numpy_neural_network-1.ipynb", correct)]),
        ("Müller-Lüdenscheidt, Hans", 1002, "Section A", [(5002, True, "numpy_neural_network.ipynb", mistaken)]),
        ("Ng, Carol", 1003, "Section B", []),                                   # nothing submitted
        ("Smith, Dave", 1004, "Section B", [(5004, True, "numpy_neural_network.ipynb", correct)]),  # extension
        ("Lee, Ann", 1005, "Section B", [(5005, False, "my homework (final).ipynb", correct), (0, False, "text", b"")]),
    ]


def canvas_zip(path, students, stranger=True, litter=True):
    with zipfile.ZipFile(path, "w") as archive:
        for sortable, user_id, _, files in students:
            slug = canvas_slug(sortable)
            for attachment, late, name, content in files:
                stem = "_".join(filter(None, [slug, "LATE" if late else None, str(user_id)]))
                if name == "text":
                    archive.writestr(f"{stem}_text.html", "<html><body>see my notebook</body></html>")
                else:
                    archive.writestr(f"{stem}_{attachment}_{re.sub(r'[/:*?<>|]+', '_', name)}", content)
        if stranger:
            archive.writestr("ghostcasper_1999_5099_numpy_neural_network.ipynb", notebook_bytes())
        if litter:
            archive.writestr("__MACOSX/._obrienzoë_1001_5001_numpy_neural_network.ipynb", b"\0\5\26\7")
            archive.writestr(".DS_Store", b"\0\0\0\1Bud1")
    return path


def canvas_anonymous_zip(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("anon_Ab3dE_5101_numpy_neural_network.ipynb", notebook_bytes())
        archive.writestr("LATE_anon_Xy9Zz_5102_numpy_neural_network.ipynb", notebook_bytes())
    return path


def canvas_gradebook(path, students):
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT_COLUMN, "Quiz 1 (7002)",
              "Current Points", "Final Points", "Current Score", "Unposted Current Score", "Final Score",
              "Unposted Final Score"]
    rows = [header, ["    Points Possible", "", "", "", "", "10.00", "5.00"] + ["(read only)"] * 6]
    for sortable, user_id, section, _ in students:
        rows.append([sortable, str(user_id), f"s{user_id}", f"login{user_id}", section, "", "4.00",
                     "4.00", "4.00", "26.67", "26.67", "26.67", "26.67"])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


# Moodle: (full name, participant id, submitted at as the worksheet writes it, layout of the download)
def moodle_class(correct=None, mistaken=None):
    blank = notebook_bytes()
    correct, mistaken = correct or blank, mistaken or blank
    return [
        ("Zoë O'Brien", 301, "Monday, 4 March 2024, 4:58 PM", "folder", correct),
        ("Hans Müller", 302, "Tuesday, 5 March 2024, 9:15 AM", "folder-pre-4.1", mistaken),   # late
        ("Carol Ng", 303, "-", None, None),                                                    # nothing
        ("Dave Smith", 304, "Thursday, 7 March 2024, 11:00 AM", "folder+onlinetext", correct),  # extension
        ("Ann Lee", 305, "Monday, 4 March 2024, 1:00 PM", "flat", correct),
    ]


def moodle_zip(path, students, stranger=True):
    with zipfile.ZipFile(path, "w") as archive:
        for name, participant, _, layout, content in students:
            prefix = f"{name}_{participant}_assignsubmission"
            if layout == "folder":
                archive.writestr(f"{prefix}_file/numpy_neural_network.ipynb", content)
            elif layout == "folder-pre-4.1":
                archive.writestr(f"{prefix}_file_/numpy_neural_network.ipynb", content)
            elif layout == "folder+onlinetext":
                archive.writestr(f"{prefix}_file/numpy_neural_network.ipynb", content)
                archive.writestr(f"{prefix}_onlinetext/onlinetext.html", "<!DOCTYPE html><html><body>hi</body></html>")
            elif layout == "flat":
                archive.writestr(f"{prefix}_file_numpy_neural_network.ipynb", content)
        if stranger:
            archive.writestr("Casper Ghost_399_assignsubmission_file/numpy_neural_network.ipynb", notebook_bytes())
    return path


MOODLE_HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum grade",
                 "Grade can be changed", "Last modified (submission)", "Online text", "Last modified (grade)",
                 "Feedback comments"]


def moodle_worksheet(path, students):
    rows = [MOODLE_HEADER]
    for name, participant, submitted, layout, _ in students:
        status = "No submission" if layout is None else "Submitted for grading"
        rows.append([f"Participant {participant}", name, f"{name.split()[0].lower()}@example.org", status, "",
                     "100.00", "Yes", submitted, "", "Monday, 11 March 2024, 10:00 AM", ""])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path
