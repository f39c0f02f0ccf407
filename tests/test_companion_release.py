"""The companion notebook (working solutions of the graded classes) is released only once no submission
of the assignment can still earn points: Formgrader's Release and `nbgrader release_assignment` refuse
it before then, and say when it opens."""
import datetime
import shutil
import subprocess
import sys

from autograder.course import layout
from autograder.late_work import LatePolicy
from autograder.nbgrader_ext.companion_after_due import companion_release_time, refusal

UTC = datetime.UTC
NOW = datetime.datetime(2027, 2, 1, 12, 0, tzinfo=UTC)


def policy(**settings):
    return LatePolicy(**settings)


def refuse(late_policy, now):
    return refusal(late_policy, now, layout.COMPANION, layout.ASSIGNMENT)


def test_without_a_due_date_the_companion_is_refused_and_told_what_to_set():
    said = refusal(policy(), NOW, layout.COMPANION, layout.ASSIGNMENT)
    assert "no due date" in said and "c.LatePolicy.due_dates" in said


def test_it_opens_when_the_last_due_date_is_past_by_the_days_after_which_work_scores_zero():
    due = {layout.ASSIGNMENT: "2027-01-20 17:00 UTC"}
    opens = companion_release_time(policy(due_dates=due), layout.ASSIGNMENT)
    assert opens == datetime.datetime(2027, 1, 27, 17, 0, tzinfo=UTC)
    assert "2027-01-27T17:00" in refuse(policy(due_dates=due), datetime.datetime(2027, 1, 27, 16, 59, tzinfo=UTC))
    assert refuse(policy(due_dates=due), NOW) is None
    late = policy(due_dates=due, extensions={layout.ASSIGNMENT: {"ann": "2027-01-29 09:00 UTC"}})
    assert "2027-02-05T09:00" in refuse(late, NOW), "an extension keeps it closed for everyone"
    assert refuse(policy(due_dates=due, zero_after_days=3), NOW) is None


def release(tmp_path, due):
    """`nbgrader release_assignment` of the companion in a course with the project's exchange class."""
    course = tmp_path / "course"
    shutil.copytree(layout.COMPANION_RELEASE_DIR, course / "release" / layout.COMPANION)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'dl-module4'\n"
        f"c.Exchange.root = {str(tmp_path / 'exchange')!r}\n"
        "c.ExchangeFactory.release_assignment = "
        "'autograder.nbgrader_ext.companion_after_due.CompanionAfterDueRelease'\n"
        f"c.CompanionAfterDueRelease.solutions_of = {{{layout.COMPANION!r}: {layout.ASSIGNMENT!r}}}\n"
        f"c.LatePolicy.due_dates = {{{layout.ASSIGNMENT!r}: {due!r}}}\n")
    done = subprocess.run([sys.executable, "-m", "nbgrader", "release_assignment", layout.COMPANION],
                          cwd=course, capture_output=True, text=True, timeout=120)
    outbound = tmp_path / "exchange" / "dl-module4" / "outbound" / layout.COMPANION
    return done, outbound.is_dir()


def test_nbgrader_release_refuses_it_before_then_and_releases_it_after(tmp_path):
    soon = (datetime.datetime.now(UTC) + datetime.timedelta(days=1)).strftime("%Y-%m-%d %H:%M UTC")
    done, released = release(tmp_path / "early", soon)
    assert done.returncode != 0 and not released
    assert "holds working solutions" in done.stderr + done.stdout
    done, released = release(tmp_path / "late", "2020-01-01 00:00 UTC")
    assert done.returncode == 0 and released, done.stderr[-2000:]
