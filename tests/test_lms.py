"""Canvas and Moodle downloads in, their imports out: names, detection, rosters, intake, late work, exports.

The exports are read back the way each LMS's own importer reads them (the rules quoted in
autograder/lms/exports.py and tests/lms_fixtures.py), not by this project's writer.
"""
import csv
import hashlib
import io
import re
import zipfile

import pytest

from autograder import late_work
from autograder.grading import intake
from autograder.lms import exports, names, rosters
from autograder.result import Result, Status
from tests import lms_fixtures as fx

# ---------------------------------------------------------------- names

@pytest.mark.parametrize("name, student, late, attachment, file_name", [
    ("obrienzoë_1001_5007_numpy_neural_network-1.ipynb", "canvas-1001", False, 5007, "numpy_neural_network-1.ipynb"),
    ("müllerlüdenscheidthans_LATE_1002_5002_nb.ipynb", "canvas-1002", True, 5002, "nb.ipynb"),
    ("old_late_1002_5002_nb.ipynb", "canvas-1002", True, 5002, "nb.ipynb"),  # older Canvas wrote "late"
    ("anon_Ab3dE_5101_numpy_neural_network.ipynb", "canvas-anon-Ab3dE", False, 5101, "numpy_neural_network.ipynb"),
    ("LATE_anon_Xy9Zz_5102_a_b.ipynb", "canvas-anon-Xy9Zz", True, 5102, "a_b.ipynb"),
    ("leeann_1005_text.html", "canvas-1005", False, 0, ""),
])
def test_canvas_names_say_whose_file_it_is(name, student, late, attachment, file_name):
    found = names.canvas_entry(name)
    assert (found.student_id, found.late, found.attachment_id, found.file_name) == (student, late, attachment,
                                                                                    file_name)


@pytest.mark.parametrize("name", ["s1234567_numpy_neural_network.ipynb", "numpy_neural_network.ipynb",
                                  "1001_5001_x.ipynb", "zoe_1001_x.ipynb", "anon_!!_5_x.ipynb"])
def test_other_names_are_not_canvas_names(name):
    assert names.canvas_entry(name) is None


@pytest.mark.parametrize("name, participant, file_name", [
    ("Zoë O'Brien_301_assignsubmission_file", "301", ""),
    ("Hans Müller_302_assignsubmission_file_", "302", ""),
    ("Ann Lee_305_assignsubmission_file_numpy_neural_network.ipynb", "305", "numpy_neural_network.ipynb"),
    ("Participant_7_assignsubmission_onlinetext", "7", ""),
])
def test_moodle_names_say_whose_folder_it_is(name, participant, file_name):
    found = names.moodle_entry(name)
    assert (found.student_id, found.lms_id, found.file_name) == (f"moodle-{participant}", participant, file_name)


def test_canvas_resubmission_suffixes_are_recognised_before_multi_part_extensions():
    assert names.without_resubmission_suffix("numpy_neural_network-2.ipynb") == "numpy_neural_network.ipynb"
    assert names.without_resubmission_suffix("hw1-1.final.ipynb") == "hw1.final.ipynb"
    assert names.without_resubmission_suffix("my-notebook.ipynb") == "my-notebook.ipynb"


# ---------------------------------------------------------------- intake

def discover(path, tmp_path, roster=None, source="auto"):
    found = {}
    rows = intake.discover(path, "task4_1", "numpy_neural_network", tmp_path / "staged", source=source,
                           roster=roster, on_layout=lambda name, reason: found.update(layout=name, reason=reason))
    return {row.student_id: row for row in rows}, found


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def canvas(tmp_path):
    students = fx.canvas_class()
    return (fx.canvas_zip(tmp_path / "submissions.zip", students),
            rosters.read(fx.canvas_gradebook(tmp_path / "gradebook.csv", students)))


@pytest.fixture
def moodle(tmp_path):
    students = fx.moodle_class()
    return (fx.moodle_zip(tmp_path / "download.zip", students),
            rosters.read(fx.moodle_worksheet(tmp_path / "worksheet.csv", students), "Europe/London"))


def test_a_canvas_download_is_detected_and_every_roster_student_has_a_row(canvas, tmp_path):
    download, roster = canvas
    before = digest(download)
    rows, found = discover(download, tmp_path, roster)
    assert found["layout"] == "canvas" and "names are <name>[_LATE]_<user id>_<attachment id>_<file>" in found["reason"]
    assert {sid: row.status for sid, row in rows.items()} == {
        "canvas-1001": Status.OK, "canvas-1002": Status.OK, "canvas-1003": Status.MISSING,
        "canvas-1004": Status.OK, "canvas-1005": Status.OK, "canvas-1999": Status.NOT_ON_ROSTER}
    assert rows["canvas-1001"].lms_name.startswith("obrienzoë_1001_5007_"), "the newer attachment is graded"
    assert [rows[s].reported_late for s in ("canvas-1001", "canvas-1002", "canvas-1004")] == [False, True, True]
    assert re.search(r"renamed from \S*my homework \(final\)\.ipynb", rows["canvas-1005"].detail)
    assert "Carol Ng" in rows["canvas-1003"].detail and "gradebook.csv" in rows["canvas-1999"].detail
    assert all("MACOSX" not in row.detail and "DS_Store" not in row.detail for row in rows.values())
    assert digest(download) == before, "the download was changed"


def test_an_anonymous_canvas_download_keeps_students_anonymous(tmp_path):
    rows, found = discover(fx.canvas_anonymous_zip(tmp_path / "anon.zip"), tmp_path)
    assert found["layout"] == "canvas"
    assert {sid: row.reported_late for sid, row in rows.items()} == {"canvas-anon-Ab3dE": False,
                                                                     "canvas-anon-Xy9Zz": True}


def test_a_moodle_download_of_every_folder_style_is_read_with_the_worksheets_times(moodle, tmp_path):
    download, roster = moodle
    rows, found = discover(download, tmp_path, roster)
    assert found["layout"] == "moodle"
    assert {sid: row.status for sid, row in rows.items()} == {
        "moodle-301": Status.OK, "moodle-302": Status.OK, "moodle-303": Status.MISSING, "moodle-304": Status.OK,
        "moodle-305": Status.OK, "moodle-399": Status.NOT_ON_ROSTER}
    # "Monday, 4 March 2024, 4:58 PM" in the teacher's zone (London: UTC+0 in March)
    assert late_work.iso(rows["moodle-301"].submitted_at) == "2024-03-04T16:58:00+00:00"
    assert roster.students["moodle-301"].full_name == "Zoë O'Brien"


def test_a_forced_source_that_does_not_fit_and_a_roster_of_the_other_lms_are_refused(canvas, moodle, tmp_path):
    with pytest.raises(intake.IntakeError, match="--source moodle: none of the"):
        discover(canvas[0], tmp_path, source="moodle")
    with pytest.raises(intake.IntakeError, match="--source nbgrader: no <student>/hw2/ folders here"):
        intake.discover(canvas[0], "hw2", "hw2", tmp_path / "staged", source="nbgrader")  # the assignment graded
    with pytest.raises(intake.IntakeError, match="is Moodle's, the submissions are canvas"):
        discover(canvas[0], tmp_path, roster=moodle[1])


def test_the_roster_says_which_canvas_column_is_the_assignment(canvas):
    roster = canvas[1]
    assert roster.assignment_columns == [fx.ASSIGNMENT_COLUMN, "Quiz 1 (7002)"], "totals are not assignments"
    with pytest.raises(exports.ExportError, match="--lms-assignment"):
        exports.canvas_column(roster)
    assert exports.canvas_column(roster, "7001") == fx.ASSIGNMENT_COLUMN
    assert roster.points_possible[fx.ASSIGNMENT_COLUMN] == 10.0


@pytest.mark.parametrize("text, message", [
    ("Student,ID,Section\nZoë,abc,A\n", "numeric user id"),
    ("Identifier,Full name,Grade\nParticipant 1,A\n", "Last modified"),
    ("Identifier,Full name,Grade,Last modified (grade)\nParticipant 1,A,,-,extra\n", "fields where the header has"),
    ("Identifier,Full name,Grade,Last modified (grade),Last modified (submission)\nParticipant 1,A,,-,5.3.2024\n",
     "English date format"),
    ("name,mark\nzoe,1\n", "not a roster this command knows"),
])
def test_a_roster_that_cannot_be_used_says_why(tmp_path, text, message):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(rosters.RosterError, match=message):
        rosters.read(path)


# ---------------------------------------------------------------- late work from what the LMS gives

def test_canvas_late_tags_cost_one_day_unless_the_policy_grants_an_extension(canvas, tmp_path):
    rows, _ = discover(canvas[0], tmp_path, canvas[1])
    policy = late_work.LatePolicy(due_dates={"task4_1": "2024-03-05 12:00 UTC"},
                                  extensions={"task4_1": {"canvas-1004": "2024-03-08 12:00 UTC"}})
    results = [Result(sid, Status.GRADED, score=20.0, max_score=25.0, reported_late=row.reported_late)
               for sid, row in rows.items() if row.status == Status.OK]
    late_work.apply(results, policy, "task4_1")
    verdict = {r.student_id: (r.penalty_percent, r.final_score) for r in results}
    assert verdict == {"canvas-1001": (0.0, 20.0), "canvas-1002": (10.0, 18.0), "canvas-1004": (0.0, 20.0),
                       "canvas-1005": (0.0, 20.0)}
    assert "marked it late" in next(r.late_note for r in results if r.student_id == "canvas-1002")


# ---------------------------------------------------------------- exports, read as the LMS reads them

def graded(rows, scores):
    """Results as the grade command would leave them (scores out of 25), feedback pages beside them."""
    return [Result(sid, Status.GRADED if row.status == Status.OK else row.status,
                   score=scores.get(sid, 0.0) if row.status == Status.OK else 0.0, max_score=25.0,
                   lms_name=row.lms_name) for sid, row in rows.items()]


def canvas_import(text):
    """Canvas's gradebook_importer: header check, Points Possible row, (student id, {assignment id: score})."""
    table = list(csv.reader(io.StringIO(text)))
    header = table[0]
    assert "Student" in header[0] and "ID" in header[1], "Canvas would reject the header"
    info_end = header.index("Section")
    assignments = {re.match(r"\A(.*)\s\((\d+)\)\Z", h).group(2): i for i, h in enumerate(header) if i > info_end}
    points = next((row for row in table[1:] if "Points Possible" in row[0]), None)
    students = {row[1]: {aid: float(row[i]) for aid, i in assignments.items()}
                for row in table[1:] if row is not points}
    return assignments, points, students


def test_the_canvas_import_holds_only_this_assignment_scaled_to_its_points_and_only_scored_students(canvas, tmp_path):
    rows, _ = discover(canvas[0], tmp_path, canvas[1])
    results = graded(rows, {"canvas-1001": 25.0, "canvas-1002": 20.0, "canvas-1004": 12.5, "canvas-1005": 25.0})
    column = exports.canvas_column(canvas[1], "NumPy")
    assignments, points, students = canvas_import(exports.canvas_import_csv(canvas[1], results, column))
    assert list(assignments) == ["7001"], "any other column would become a new assignment in Canvas"
    assert points[0] == "    Points Possible" and points[assignments["7001"]] == "10.00"
    assert students == {"1001": {"7001": 10.0}, "1002": {"7001": 8.0}, "1004": {"7001": 5.0},
                        "1005": {"7001": 10.0}}, "missing and unknown students are left out, never blanked"
    assert set(students) <= {row["ID"] for row in canvas[1].rows}


def test_the_canvas_reupload_zip_names_each_page_by_the_ids_canvas_matches(canvas, tmp_path):
    rows, _ = discover(canvas[0], tmp_path, canvas[1])
    pages = tmp_path / "pages"
    pages.mkdir()
    for sid in rows:
        (pages / f"{sid}.html").write_text(f"<html>{sid}</html>")
    archive = zipfile.ZipFile(io.BytesIO(exports.feedback_zip(graded(rows, {}), lambda s: pages / f"{s}.html",
                                                              exports.canvas_reupload_name)))
    matched = {}
    for name in archive.namelist():  # app/models/assignment.rb: split on "_", drop LATE, first two all-digit tokens
        user_id, attachment_id = [t for t in name.split("_") if t != "LATE" and t.isdigit()][:2]
        matched[user_id] = attachment_id
    assert matched == {"1001": "5007", "1002": "5002", "1004": "5004", "1005": "5005"}
    assert archive.read(next(n for n in archive.namelist() if "_1002_" in n)) == b"<html>canvas-1002</html>"


def test_the_moodle_worksheet_is_the_download_with_grades_and_comments_filled_in(moodle, tmp_path):
    rows, _ = discover(moodle[0], tmp_path, moodle[1])
    results = graded(rows, {"moodle-301": 25.0, "moodle-302": 15.0, "moodle-304": 20.0, "moodle-305": 25.0})
    text = exports.moodle_worksheet_csv(moodle[1], results, lambda r: f"{r.score:g} points, see the file")
    table = list(csv.reader(io.StringIO(text)))
    original = list(csv.reader(io.StringIO(moodle[1].path.read_text(encoding="utf-8"))))
    assert table[0] == original[0] and len(table) == len(original), "Moodle rejects other headers or rows"
    assert all(len(row) == len(table[0]) for row in table), "Moodle rejects a different field count"
    by_id = {row[0]: dict(zip(table[0], row, strict=True)) for row in table[1:]}
    assert (by_id["Participant 302"]["Grade"], by_id["Participant 302"]["Feedback comments"]) == \
        ("60.00", "15 points, see the file")
    assert by_id["Participant 303"]["Grade"] == "", "a student with nothing graded keeps an empty grade"
    assert all(row["Last modified (grade)"] == "Monday, 11 March 2024, 10:00 AM" for row in by_id.values())


def test_the_moodle_feedback_zip_puts_each_page_where_moodles_importer_finds_the_participant(moodle, tmp_path):
    rows, _ = discover(moodle[0], tmp_path, moodle[1])
    pages = tmp_path / "pages"
    pages.mkdir()
    for sid in rows:
        (pages / f"{sid}.html").write_text(sid)
    archive = zipfile.ZipFile(io.BytesIO(exports.feedback_zip(graded(rows, {}), lambda s: pages / f"{s}.html",
                                                              exports.moodle_feedback_name)))
    found = {}
    for name in archive.namelist():  # importziplib.php: the first path part that splits into >= 4 on "_"
        for part in name.split("/"):
            info = part.split("_", 4)
            if len(info) >= 4 and info[1].isdigit() and info[2] == "assignsubmission":
                found[info[1]] = archive.read(name).decode()
                break
    assert found == {"301": "moodle-301", "302": "moodle-302", "304": "moodle-304", "305": "moodle-305"}


# ---------------------------------------------------------------- what a first term's downloads held

def test_an_extension_granted_in_moodle_is_read_from_the_worksheets_status_and_applied(tmp_path):
    students = fx.moodle_class()
    worksheet = fx.moodle_worksheet(tmp_path / "worksheet.csv", students)
    text = worksheet.read_text(encoding="utf-8").replace(  # Moodle joins the status lines with " - "
        "Participant 304,Dave Smith,dave@example.org,Submitted for grading",
        'Participant 304,Dave Smith,dave@example.org,'
        '"Submitted for grading - Extension granted until: Friday, 8 March 2024, 5:00 PM"')
    worksheet.write_text(text, encoding="utf-8")
    roster = rosters.read(worksheet, "Europe/London")
    assert {s: late_work.iso(d) for s, d in roster.extensions().items()} == {"moodle-304": "2024-03-08T17:00:00+00:00"}
    policy = late_work.with_extensions(late_work.LatePolicy(due_dates={"task4_1": "2024-03-05 09:00 Europe/London"}),
                                       "task4_1", roster.extensions())
    rows, _ = discover(fx.moodle_zip(tmp_path / "download.zip", students), tmp_path, roster)
    results = [Result(sid, Status.GRADED, score=20.0, max_score=25.0, submitted_at=late_work.iso(row.submitted_at))
               for sid, row in rows.items() if row.status == Status.OK]
    late_work.apply(results, policy, "task4_1")
    verdict = {r.student_id: r.penalty_percent for r in results}
    assert verdict["moodle-304"] == 0.0, "submitted Thursday with an extension to Friday: on time"
    assert verdict["moodle-302"] == 10.0, "15 minutes late without one: a started day"


def test_a_course_extension_wins_over_the_lms_one():
    policy = late_work.LatePolicy(extensions={"task4_1": {"moodle-304": "2024-03-20 12:00 UTC"}})
    late_work.with_extensions(policy, "task4_1", {"moodle-304": late_work.parse_date("2024-03-08 17:00 UTC"),
                                                   "moodle-305": late_work.parse_date("2024-03-09 17:00 UTC")})
    assert policy.extensions["task4_1"]["moodle-304"] == "2024-03-20 12:00 UTC"
    assert late_work.iso(policy.student_due_date("task4_1", "moodle-305")[0]) == "2024-03-09T17:00:00+00:00"


@pytest.mark.parametrize("problem", [Status.NO_NOTEBOOK, Status.CORRUPT, Status.AMBIGUOUS, Status.GRADER_ERROR,
                                     Status.MISSING, Status.EMPTY])
def test_no_lms_file_gets_a_grade_for_a_student_who_was_not_graded(canvas, moodle, tmp_path, problem):
    for (download, roster), student in ((canvas, "canvas-1005"), (moodle, "moodle-305")):
        rows, _ = discover(download, tmp_path / roster.lms, roster)
        results = graded(rows, {})
        for result in results:
            if result.student_id == student:
                result.status, result.score = problem, 0.0  # how a problem row is saved: 0 of 25, not graded
        if roster.lms == "canvas":
            _, _, students = canvas_import(exports.canvas_import_csv(roster, results, fx.ASSIGNMENT_COLUMN))
            assert "1005" not in students, f"Canvas's import writes a grade for a {problem} row"
        else:
            text = exports.moodle_worksheet_csv(roster, results, lambda r: "c")
            row = next(r for r in csv.DictReader(io.StringIO(text)) if r["Identifier"] == "Participant 305")
            assert (row["Grade"], row["Feedback comments"]) == ("", ""), f"Moodle's worksheet grades a {problem} row"


def test_canvas_test_student_is_named_by_the_roster_or_the_download(tmp_path):
    students = [*fx.canvas_class(), ("Student, Test", 1099, "Section A", [])]
    roster = rosters.read(fx.canvas_gradebook(tmp_path / "gradebook.csv", students))
    assert rosters.is_canvas_test_student(roster, "canvas-1099")
    assert rosters.is_canvas_test_student(None, "canvas-1099", "studenttest_1099_5099_numpy_neural_network.ipynb")
    assert not any(rosters.is_canvas_test_student(roster, f"canvas-{s[1]}", f"{fx.canvas_slug(s[0])}_{s[1]}_1_x")
                   for s in fx.canvas_class())


def test_a_roster_with_an_anonymous_canvas_download_is_refused_with_the_command_that_works(canvas, tmp_path):
    rows, _ = discover(fx.canvas_anonymous_zip(tmp_path / "anon.zip"), tmp_path, canvas[1])
    with pytest.raises(rosters.RosterError, match="without --roster"):
        rosters.check_not_anonymous(canvas[1], list(rows))
    rosters.check_not_anonymous(canvas[1], ["canvas-1001", "canvas-1002"])  # a named download is fine


def canvas_reads(name):
    """Canvas's Re-Upload (AbstractAssignment#infer_comment_context_from_filename): drop LATE tokens; anon_<id>_
    <attachment> or the first two all-digit tokens as user and attachment id."""
    tokens = [t for t in name.split("_") if t != "LATE"]
    if tokens[0] == "anon":
        return ("anon", tokens[1]), tokens[2]
    user, attachment = [t for t in tokens if t.isdigit()][:2]
    return ("user", user), attachment


@pytest.mark.parametrize("download, who, attachment", [
    ("anon_Ab3dE_5101_numpy_neural_network.ipynb", ("anon", "Ab3dE"), "5101"),
    ("LATE_anon_Xy9Zz_5102_numpy_neural_network.ipynb", ("anon", "Xy9Zz"), "5102"),
    ("anon_12345_678_numpy_neural_network.ipynb", ("anon", "12345"), "678"),   # an anonymous id of digits
    ("anon_678_678_nb.ipynb", ("anon", "678"), "678"),                          # the same digits twice
    ("obrien_zoë_1001_5007_numpy_neural_network-1.ipynb", ("user", "1001"), "5007"),
    ("müllerhans_LATE_1002_5002_2024_results.ipynb", ("user", "1002"), "5002"),  # digits in the file name
])
def test_reupload_names_are_read_by_canvas_as_the_downloads_student_and_attachment(download, who, attachment):
    assert canvas_reads(exports.canvas_reupload_name(download)) == (who, attachment)
