"""The instructor's limits on preliminary feedback (autograder/preliminary/policy.py): how many graded
submissions per window, when the next one is possible, the quiet period before the due date."""
import datetime

import pytest

from autograder.errors import UserError
from autograder.preliminary.policy import PreliminaryFeedback, allowance

T0 = datetime.datetime(2027, 1, 10, 9, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


def test_three_a_day_then_the_next_one_when_the_first_leaves_the_window():
    settings = PreliminaryFeedback(max_graded=3, window_hours=24)
    graded = []
    for hours in (0, 1, 2):
        got = allowance(settings, graded, T0 + hours * HOUR)
        assert got.graded and got.remaining == 2 - hours
        graded.append(T0 + hours * HOUR)
    assert allowance(settings, graded[:2], T0 + 2 * HOUR).next_at == T0 + 24 * HOUR  # the last one says when
    fourth = allowance(settings, graded, T0 + 3 * HOUR)
    assert (fourth.graded, fourth.remaining, fourth.next_at, fourth.reason) == (False, 0, T0 + 24 * HOUR, "over-limit")
    assert allowance(settings, graded, T0 + 24 * HOUR).graded, "the first one has left the window"
    assert not allowance(settings, graded, T0 + 24 * HOUR - datetime.timedelta(seconds=1)).graded


def test_the_next_slot_opens_when_enough_old_ones_have_left():
    settings = PreliminaryFeedback(max_graded=2, window_hours=10)
    graded = [T0, T0 + HOUR, T0 + 2 * HOUR]  # counted before the instructor lowered the limit
    assert allowance(settings, graded, T0 + 3 * HOUR).next_at == T0 + 11 * HOUR


def test_the_quiet_period_before_the_due_date_keeps_submissions_for_the_deadline():
    settings = PreliminaryFeedback(quiet_minutes_before_due=30)
    due = T0 + 10 * HOUR
    assert allowance(settings, [], due - datetime.timedelta(minutes=31), due).graded
    quiet = allowance(settings, [], due - datetime.timedelta(minutes=29), due)
    assert (quiet.graded, quiet.reason, quiet.remaining) == (False, "quiet-period", 3)
    assert allowance(settings, [], due + HOUR, due).graded, "after the due date: graded again (late work)"


def test_off_means_kept_for_the_deadline():
    assert allowance(PreliminaryFeedback(enabled=False), [], T0).reason == "disabled"
    assert allowance(PreliminaryFeedback(max_graded=0), [], T0).reason == "disabled"


@pytest.mark.parametrize("setting", [{"max_graded": -1}, {"window_hours": -2.0}, {"window_hours": float("nan")},
                                     {"quiet_minutes_before_due": float("inf")}])
def test_an_unusable_setting_is_refused_with_what_to_write(setting):
    with pytest.raises(UserError, match="c.PreliminaryFeedback"):
        PreliminaryFeedback(**setting)


def test_what_students_see_is_one_of_three_choices():
    with pytest.raises(Exception, match="shows"):
        PreliminaryFeedback(shows="hidden-tests")


def test_the_course_config_is_read_as_nbgrader_reads_it(tmp_path):
    from autograder.preliminary.service import read_course_settings

    (tmp_path / "base.py").write_text("c = get_config()\nc.PreliminaryFeedback.window_hours = 12\n")
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nload_subconfig('base.py')\nc.PreliminaryFeedback.max_graded = 5\n"
        "c.PreliminaryFeedback.shows = 'points'\nc.LatePolicy.due_dates = {'task4_1': '2027-01-15 17:00 UTC'}\n")
    settings, late = read_course_settings(tmp_path / "nbgrader_config.py")
    assert (settings.max_graded, settings.window_hours, settings.shows) == (5, 12.0, "points")
    assert late.due_date("task4_1") == datetime.datetime(2027, 1, 15, 17, 0, tzinfo=datetime.UTC)
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.PreliminaryFeedback.max_graded = -3\n")
    with pytest.raises(UserError, match="max_graded"):
        read_course_settings(tmp_path / "nbgrader_config.py")
