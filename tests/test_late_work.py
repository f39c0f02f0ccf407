"""Due dates and late work: the policy, its verdicts, intake of submission times, and every output that shows them."""
import csv
import datetime
import math
import zipfile

import nbformat
import pytest
from traitlets.config import Config

from autograder import late_work
from autograder.course import layout
from autograder.grading import gradebook, intake
from autograder.report import class_report
from autograder.result import Result, Status

UTC = datetime.UTC
DAY = 86400
ASSIGNMENT, NB = "task4_1", "numpy_neural_network"
DUE = "2027-01-15 17:00 Europe/Berlin"
DUE_UTC = datetime.datetime(2027, 1, 15, 16, 0, tzinfo=UTC)


def policy(**settings):
    settings.setdefault("due_dates", {ASSIGNMENT: DUE})
    return late_work.LatePolicy(config=Config({"LatePolicy": settings}))


def graded(student_id, score=20.0, submitted_at=None, max_score=23.0):
    return Result(student_id, Status.GRADED, score=score, max_score=max_score,
                  cells={"a": {"score": score, "max_score": max_score, "needs_manual": False}},
                  submitted_at=late_work.iso(submitted_at))


# ---------------------------------------------------------------- parsing and validation

@pytest.mark.parametrize("text, expected", [
    ("2027-01-15 17:00 Europe/Berlin", DUE_UTC),                                   # winter: UTC+1
    ("2027-07-15 17:00 Europe/Berlin", datetime.datetime(2027, 7, 15, 15, 0, tzinfo=UTC)),  # summer: UTC+2
    ("2027-01-15T17:00:00+01:00", DUE_UTC),
    ("2027-01-15T16:00Z", DUE_UTC),
    ("2027-01-15 16:00 UTC", DUE_UTC),
])
def test_due_dates_with_a_zone_or_offset(text, expected):
    assert late_work.parse_date(text, zone="Asia/Tokyo") == expected


def test_a_due_date_without_a_zone_is_in_the_policys_timezone():
    assert policy(due_dates={ASSIGNMENT: "2027-01-15 17:00"}).due_date(ASSIGNMENT) == \
        datetime.datetime(2027, 1, 15, 17, 0, tzinfo=UTC)
    assert policy(due_dates={ASSIGNMENT: "2027-01-15 11:00"}, timezone="America/New_York").due_date(ASSIGNMENT) == \
        DUE_UTC
    assert policy(due_dates={}).due_date(ASSIGNMENT) is None


@pytest.mark.parametrize("settings, named", [
    ({"due_dates": {ASSIGNMENT: "15.01.2027 17:00"}}, "c.LatePolicy.due_dates['task4_1']"),
    ({"due_dates": {ASSIGNMENT: "2027-01-15"}}, "no time of day"),
    ({"due_dates": {ASSIGNMENT: "2027-01-15 17:00 Mars/Olympus"}}, "unknown time zone 'Mars/Olympus'"),
    ({"due_dates": {ASSIGNMENT: "2027-01-15T17:00+01:00 Europe/Berlin"}}, "both an offset and a zone"),
    ({"timezone": "CEST+2"}, "c.LatePolicy.timezone"),
    ({"percent_per_day": -5}, "c.LatePolicy.percent_per_day = -5.0 must be at least 0"),
    ({"max_percent": 120}, "c.LatePolicy.max_percent = 120.0 must be between 0 and 100"),
    ({"max_percent": float("nan")}, "c.LatePolicy.max_percent"),
    ({"zero_after_days": -1}, "c.LatePolicy.zero_after_days"),
    ({"grace_minutes": -0.5}, "c.LatePolicy.grace_minutes"),
    ({"extensions": {ASSIGNMENT: {"amy": "next friday"}}}, "c.LatePolicy.extensions['task4_1']['amy']"),
    ({"extensions": {ASSIGNMENT: "2027-01-20 17:00"}}, "must map student ids to due dates"),
])
def test_a_bad_setting_is_refused_at_once_naming_it_with_an_example(settings, named):
    with pytest.raises(late_work.LatePolicyError) as caught:
        policy(**settings)
    assert named in str(caught.value)
    assert "e.g." in str(caught.value)


def test_load_policy_reads_the_course_config_and_its_subconfigs(tmp_path):
    (tmp_path / "base.py").write_text("c = get_config()\nc.LatePolicy.timezone = 'Europe/Berlin'\n")
    course = tmp_path / "nbgrader_config.py"
    course.write_text(f"c = get_config()\nload_subconfig({str(tmp_path / 'base.py')!r})\n"
                      f"c.LatePolicy.due_dates = {{'{ASSIGNMENT}': '2027-01-15 17:00'}}\n")
    assert late_work.load_policy(course).due_date(ASSIGNMENT) == DUE_UTC
    course.write_text("c = get_config()\nc.LatePolicy.due_date = {'task4_1': '2027-01-15 17:00'}\n")
    with pytest.raises(late_work.LatePolicyError, match="due_date in .* is not a setting; the settings are"):
        late_work.load_policy(course)


def test_the_repository_config_sets_no_due_date():
    from autograder.course import layout

    loaded = late_work.load_policy(layout.CONFIG_FILE)
    assert loaded.due_dates == {} and loaded.extensions == {}
    defaults = late_work.LatePolicy()
    assert [getattr(loaded, n) for n in late_work.LIMITS] == [getattr(defaults, n) for n in late_work.LIMITS]


# ---------------------------------------------------------------- the verdict

def expected_penalty(seconds_late, percent_per_day, max_percent, zero_after_days, grace_minutes):
    """The policy's definition, written out: started days after the grace period."""
    after_grace = seconds_late - 60 * grace_minutes
    days = math.ceil(after_grace / DAY) if after_grace > 0 else 0
    if days == 0:
        return 0, 0.0
    return days, 100.0 if days > zero_after_days else min(max_percent, percent_per_day * days)


@pytest.mark.parametrize("rules", [
    dict(percent_per_day=10, max_percent=50, zero_after_days=7, grace_minutes=0),
    dict(percent_per_day=25, max_percent=100, zero_after_days=3, grace_minutes=15),
    dict(percent_per_day=0, max_percent=0, zero_after_days=0, grace_minutes=0),
    dict(percent_per_day=33.3, max_percent=80, zero_after_days=10, grace_minutes=1.5),
])
def test_every_submission_time_gets_the_penalty_the_policy_defines(rules):
    late = policy(**rules)
    grace = 60 * rules["grace_minutes"]
    # every day boundary (with and without the grace period) and a second or less either side of it
    marks = {k * DAY + g for k in range(12) for g in (0, grace)}
    offsets = sorted({m + d for m in marks for d in (-1, -0.001, 0, 0.001, 1, 3600)} | {-DAY, -60})
    previous = 0.0
    for offset in offsets:
        lateness = late_work.assess(late, ASSIGNMENT, "amy", DUE_UTC + datetime.timedelta(seconds=offset))
        days, percent = expected_penalty(max(0.0, offset), **rules)
        assert (lateness.days_late, lateness.penalty_percent) == (days, pytest.approx(percent)), offset
        assert lateness.seconds_late == pytest.approx(max(0.0, offset), abs=1e-6)
        assert 0 <= lateness.penalty_percent <= 100
        assert lateness.penalty_percent >= previous or lateness.days_late > late.zero_after_days, "never less for later"
        previous = lateness.penalty_percent


def test_the_default_rules_at_their_boundaries():
    late = policy(grace_minutes=5)

    def at(seconds):
        lateness = late_work.assess(late, ASSIGNMENT, "amy", DUE_UTC + datetime.timedelta(seconds=seconds))
        return lateness.days_late, lateness.penalty_percent

    assert at(-3600) == at(0) == at(300) == (0, 0.0)       # early, exactly at the due date, inside the grace
    assert at(301) == (1, 10.0)                             # one second after the grace: a started day
    assert at(300 + DAY + 1) == (2, 20.0)
    assert at(300 + 5 * DAY) == (5, 50.0) and at(300 + 6 * DAY) == (6, 50.0)   # capped at max_percent
    assert at(300 + 7 * DAY) == (7, 50.0) and at(300 + 7 * DAY + 1) == (8, 100.0)  # more than 7 days: zero


def test_an_extension_moves_the_due_date_for_that_student_only():
    late = policy(extensions={ASSIGNMENT: {"amy": "2027-01-20 17:00 Europe/Berlin"}})
    submitted = DUE_UTC + datetime.timedelta(days=3)
    amy = late_work.assess(late, ASSIGNMENT, "amy", submitted)
    bob = late_work.assess(late, ASSIGNMENT, "bob", submitted)
    assert (amy.penalty_percent, amy.extended) == (0.0, True)
    assert (bob.penalty_percent, bob.extended) == (30.0, False)
    assert late_work.assess(late, "other", "amy", submitted).due is None   # only for that assignment
    assert "with your extension" in late_work.describe(amy)


def test_no_due_date_or_no_submission_time_is_on_time_and_says_so():
    no_due = late_work.assess(policy(due_dates={}), ASSIGNMENT, "amy", DUE_UTC + datetime.timedelta(days=30))
    no_time = late_work.assess(policy(), ASSIGNMENT, "amy", None)
    for lateness in (no_due, no_time):
        assert (lateness.penalty_percent, lateness.days_late, lateness.seconds_late) == (0.0, 0, 0.0)
    assert late_work.describe(no_due) == "on time (no due date is set)"
    assert late_work.describe(no_time) == "on time (no submission time was recorded; due 2027-01-15 17:00 CET)"


def test_describe_says_it_as_a_student_reads_it():
    late = policy(grace_minutes=10)

    def words(seconds, **kwargs):
        lateness = late_work.assess(late, ASSIGNMENT, "amy", DUE_UTC + datetime.timedelta(seconds=seconds))
        return late_work.describe(lateness, **kwargs)

    assert words(-120) == "on time (submitted 2027-01-15 16:58 CET, due 17:00 CET)"
    assert words(120) == "on time (submitted 2027-01-15 17:02 CET, due 17:00 CET, within the 10 min grace period)"
    assert words(DAY + 2 * 3600 + 5 * 60, score=23, max_score=23) == \
        "late by 1 day 2 h 5 min (due 2027-01-15 17:00 CET): penalty 20%, 18.4 of 23 points after it"
    assert words(9 * DAY, score=23, max_score=23) == \
        "late by 9 days (due 2027-01-15 17:00 CET): more than 7 days late scores zero"


def test_durations():
    assert [late_work.format_duration(s) for s in (0, 0.2, 59, 61, 3600, DAY - 0.5, DAY + 1, 2 * DAY + 7384)] == \
        ["0 s", "1 s", "59 s", "1 min 1 s", "1 h", "1 day", "1 day 1 s", "2 days 2 h 3 min"]
    assert late_work.format_duration(DAY + 2 * 3600 + 5 * 60, parts=2) == "1 day 2 h"


# ---------------------------------------------------------------- results: stored percent, applied at output

def test_final_score():
    assert late_work.final_score(23, 10) == 20.7
    assert late_work.final_score(1 / 3, 0) == 1 / 3          # no penalty: the score untouched
    assert late_work.final_score(0.0, 100) == 0.0 and str(late_work.final_score(0.0, 100)) == "0.0"
    assert late_work.final_score(None, 50) is None


def test_apply_sets_the_late_fields_and_twice_is_once():
    late = policy()
    results = [graded("amy", 20.0, DUE_UTC + datetime.timedelta(hours=3)), graded("bob", 20.0, DUE_UTC),
               graded("cy", 20.0, None), Result.grader_error("dee", 23.0, "x")]
    late_work.apply(results, late, ASSIGNMENT)
    once = [r.to_json() for r in results]
    late_work.apply(results, late, ASSIGNMENT)
    assert [r.to_json() for r in results] == once
    amy, bob, cy, dee = results
    assert (amy.late_seconds, amy.penalty_percent, amy.score, amy.final_score) == (3 * 3600, 10.0, 20.0, 18.0)
    assert amy.cells["a"]["score"] == 20.0, "the penalty is never taken off the cells"
    assert (bob.late_seconds, bob.penalty_percent, bob.final_score) == (0.0, 0.0, 20.0)
    assert cy.final_score == 20.0 and "no submission time" in cy.late_note
    assert dee.final_score is None


def test_a_manual_score_added_later_is_penalised_once():
    late = policy()
    amy = graded("amy", 20.0, DUE_UTC + datetime.timedelta(hours=3))
    amy.cells["exercise_answer"] = {"score": 0.0, "max_score": 3.0, "needs_manual": True}
    late_work.apply([amy], late, ASSIGNMENT)
    assert amy.final_score == 18.0
    gradebook.apply_manual_grades([amy], {"amy": ({"exercise_answer": 3.0}, {})})   # what `publish` does
    late_work.apply([amy], late, ASSIGNMENT)
    assert (amy.score, amy.penalty_percent, amy.final_score) == (23.0, 10.0, 20.7)


def test_an_extension_added_later_counts_at_the_next_output():
    amy = graded("amy", 20.0, DUE_UTC + datetime.timedelta(hours=3))
    late_work.apply([amy], policy(), ASSIGNMENT)
    assert amy.penalty_percent == 10.0
    late_work.apply([amy], policy(extensions={ASSIGNMENT: {"amy": "2027-01-16 17:00 Europe/Berlin"}}), ASSIGNMENT)
    assert (amy.penalty_percent, amy.final_score, amy.late_seconds) == (0.0, 20.0, 0.0)


def test_results_files_from_before_late_work_still_load():
    old = {"student_id": "amy", "status": "graded", "score": 12.0, "max_score": 23.0, "cells": {}, "seconds": 9.0,
           "isolation": "", "digest": "d", "origin": "o", "detail": ""}
    result = Result.from_json(old)
    assert (result.submitted_at, result.late_seconds, result.penalty_percent) == ("", 0.0, 0.0)
    assert result.final_score == 12.0
    assert Result.from_json(result.to_json()) == result


# ---------------------------------------------------------------- intake of nbgrader's submit files

STAMP = "2027-01-15 16:58:00.123456 UTC"
SECRET = "a1b2" * 32


def notebook_bytes():
    return nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])).encode()


def submitted_tree(root, stamps):
    """submitted/<student>/task4_1/ as nbgrader's exchange collects it (stamps: {student: timestamp.txt or None})."""
    for student, stamp in stamps.items():
        folder = root / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{NB}.ipynb").write_bytes(notebook_bytes())
        (folder / "submission_secret.txt").write_text(SECRET)
        if stamp is not None:
            (folder / "timestamp.txt").write_text(stamp)
    return root


def check_submit_files(rows):
    rows = {row.student_id: row for row in rows}
    assert {sid: row.status for sid, row in rows.items()} == {"amy": "ok", "bob": "ok", "cy": "ok"}
    assert rows["amy"].submitted_at == datetime.datetime(2027, 1, 15, 16, 58, 0, 123456, tzinfo=UTC)
    assert rows["amy"].submission_secret == SECRET and rows["amy"].detail == "", "submit files are no extras"
    assert rows["bob"].submitted_at is None
    assert "timestamp.txt holds 'yesterday-ish', not a time" in rows["bob"].detail
    assert rows["cy"].submitted_at is None and rows["cy"].detail == "" and rows["cy"].submission_secret == SECRET


def test_intake_reads_submission_time_and_secret_from_a_submitted_tree(tmp_path):
    tree = submitted_tree(tmp_path / "submitted", {"amy": STAMP, "bob": "yesterday-ish", "cy": None})
    check_submit_files(intake.discover(tree, ASSIGNMENT, NB, tmp_path / "staged"))


def test_intake_reads_them_from_the_same_tree_zipped(tmp_path):
    tree = submitted_tree(tmp_path / "submitted", {"amy": STAMP, "bob": "yesterday-ish", "cy": None})
    archive = tmp_path / "submitted.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(tree.rglob("*")):
            if path.is_file():
                bundle.write(path, path.relative_to(tmp_path))   # wrapped in submitted/, as when a folder is zipped
    check_submit_files(intake.discover(archive, ASSIGNMENT, NB, tmp_path / "staged"))


def test_submit_files_alone_are_an_empty_submission(tmp_path):
    folder = tmp_path / "submitted" / "amy" / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text(STAMP)
    (row,) = intake.discover(tmp_path / "submitted", ASSIGNMENT, NB, tmp_path / "staged")
    assert row.status == Status.EMPTY and row.submitted_at is not None
    assert Result.problem(row, 23.0).submitted_at == "2027-01-15T16:58:00.123456+00:00"


# ---------------------------------------------------------------- outputs

def test_grades_csv_has_the_late_columns(tmp_path):
    late = policy()
    results = [graded("amy", 20.0, DUE_UTC + datetime.timedelta(days=1, hours=2, minutes=5)),
               graded("bob", 21.5, DUE_UTC - datetime.timedelta(minutes=1)), graded("cy", 10.0, None)]
    late_work.apply(results, late, ASSIGNMENT)
    path = class_report.write_grades_csv(results, [("a", 23.0)], tmp_path / "grades.csv")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    amy, bob, cy = rows["amy"], rows["bob"], rows["cy"]
    assert (amy["total"], amy["late_by"], amy["penalty_percent"], amy["final_score"]) == ("20", "1 day 2 h", "20", "16")
    assert amy["submitted_at"] == "2027-01-16T18:05:00+00:00"
    assert (bob["late_by"], bob["penalty_percent"], bob["final_score"]) == ("", "0", "21.5")
    assert (cy["submitted_at"], cy["late_by"], cy["final_score"]) == ("", "", "10")


def test_report_shows_late_rows_and_uses_final_scores(tmp_path):
    results = [graded("amy", 20.0, DUE_UTC + datetime.timedelta(hours=3)), graded("bob", 20.0, DUE_UTC)]
    late_work.apply(results, policy(), ASSIGNMENT)
    page = class_report.write_class_report(results, [("a", 23.0)], tmp_path, layout.TASK).read_text(encoding="utf-8")
    assert "1 of 2 submissions late" in page
    assert "<th>late</th>" in page and "3 h: \u221210% \u2192 18" in page
    assert class_report.score_summary(results) == {"mean": 19.0, "median": 19.0, "min": 18.0, "max": 20.0}


PAGE = ('<!DOCTYPE html>\n<html><head><title>f</title></head><body class="jp-Notebook" data-x="1">\n'
        '<p>work</p></body></html>')


def test_the_notice_goes_right_after_the_body_tag_and_replaces_an_earlier_one():
    amy = graded("amy", 20.0, DUE_UTC + datetime.timedelta(hours=3))
    late_work.apply([amy], policy(), ASSIGNMENT)
    notice = late_work.notice_html(amy)
    assert "Late by 3 h (due 2027-01-15 17:00 CET): penalty 10%, 18 of 23 points after it" in notice
    page = late_work.insert_notice(PAGE, notice)
    assert page.startswith(PAGE[:PAGE.index(">\n<p>") + 1] + notice + "\n<p>work</p>")
    late_work.apply([amy], policy(extensions={ASSIGNMENT: {"amy": "2027-01-16 17:00 Europe/Berlin"}}), ASSIGNMENT)
    again = late_work.insert_notice(page, late_work.notice_html(amy))
    assert again.count("late-work\"") == 1 and "with your extension" in again and "penalty" not in again
    assert late_work.insert_notice(again, "") == PAGE


def test_no_due_date_no_notice_and_student_text_is_escaped():
    amy = graded("amy", 20.0, DUE_UTC)
    late_work.apply([amy], policy(due_dates={}), ASSIGNMENT)
    assert late_work.notice_html(amy) == "" and late_work.insert_notice(PAGE, "") == PAGE
    amy.late_note = "<script>x</script>"
    assert "<script>" not in late_work.notice_html(amy)


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")   # nbgrader's add_submission
def test_the_gradebook_holds_the_due_date_times_extensions_and_penalties_in_points(tmp_path):
    from nbgrader.api import Gradebook

    db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    gradebook.create_stamped_sqlite(tmp_path / "gradebook.db")
    with Gradebook(db_url) as book:
        book.add_assignment(ASSIGNMENT)
        book.add_notebook(NB, ASSIGNMENT)
        book.add_grade_cell("a", NB, ASSIGNMENT, max_score=23.0, cell_type="code")
        for student in ("amy", "bob"):
            book.add_student(student)
            book.add_submission(ASSIGNMENT, student)
            book.find_grade("a", NB, ASSIGNMENT, student).auto_score = 20.0
        book.db.commit()
    late = policy(extensions={ASSIGNMENT: {"bob": "2027-01-16 17:00 Europe/Berlin"}})
    results = [graded(s, 20.0, DUE_UTC + datetime.timedelta(hours=3)) for s in ("amy", "bob")]
    late_work.apply(results, late, ASSIGNMENT)
    for _ in range(2):   # written again, not added up
        gradebook.record_late_work(db_url, results, late, layout.TASK)
    with Gradebook(db_url) as book:
        assert book.find_assignment(ASSIGNMENT).duedate == DUE_UTC.replace(tzinfo=None)   # naive UTC, as nbgrader
        amy, bob = book.find_submission(ASSIGNMENT, "amy"), book.find_submission(ASSIGNMENT, "bob")
        assert amy.timestamp == (DUE_UTC + datetime.timedelta(hours=3)).replace(tzinfo=None)
        # what `nbgrader export` writes as the score: the same final score as grades.csv
        assert (amy.late_submission_penalty, amy.score - amy.late_submission_penalty) == (2.0, results[0].final_score)
        assert (bob.extension, bob.total_seconds_late) == (datetime.timedelta(days=1), 0)
        assert bob.late_submission_penalty == 0.0
    gradebook.record_late_work(db_url, results, policy(due_dates={}), layout.TASK)   # the due date taken out again
    with Gradebook(db_url) as book:
        assert book.find_assignment(ASSIGNMENT).duedate is None


def test_the_result_store_writes_the_notice_into_the_feedback_page(tmp_path):
    from autograder.grading.class_output import ResultStore

    store = ResultStore(tmp_path, layout.TASK)
    amy = graded("amy", 20.0, DUE_UTC + datetime.timedelta(hours=3))
    amy.feedback_html = PAGE
    late_work.apply([amy], policy(), ASSIGNMENT)
    store.save(amy)
    page = layout.student_notebook(tmp_path, "feedback", "amy", ".html").read_text()
    assert page == late_work.insert_notice(PAGE, late_work.notice_html(amy))
    assert store.load("amy").penalty_percent == 10.0
