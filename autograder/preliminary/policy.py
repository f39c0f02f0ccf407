"""What the instructor allows before the due date: ``c.PreliminaryFeedback.…`` in the course's nbgrader_config.py.

A graded submission counts against its student's allowance (``max_graded`` per ``window_hours``);
one over it, or one in the quiet period before the due date, is kept and graded at the deadline by
the instructor's collect and grade, as every submission is. Nothing a student submits is lost.
"""
import dataclasses
import datetime

from traitlets import Bool, Enum, Float, Int, TraitError, Unicode, validate
from traitlets.config import Configurable

from autograder.errors import UserError

SHOWS = ("named", "points", "visible")


class PreliminaryPolicyError(TraitError, UserError):
    """A setting of c.PreliminaryFeedback that cannot be used: the message says what to write."""


class PreliminaryFeedback(Configurable):
    """Feedback on submit, before the due date (the hub's grading service)."""

    enabled = Bool(True, help="grade submissions as they arrive while the assignment is open").tag(config=True)
    max_graded = Int(3, help="graded submissions per student in any window of window_hours").tag(config=True)
    window_hours = Float(24.0, help="the window max_graded counts in, in hours").tag(config=True)
    quiet_minutes_before_due = Float(
        0.0, help="no preliminary grading this many minutes before a student's due date (0: none)").tag(config=True)
    shows = Enum(SHOWS, default_value="named",
                 help="what students see: 'named' (the named mistakes and points per part), 'points' (points per "
                      "part only) or 'visible' (the visible checks only); never hidden test code").tag(config=True)

    workers = Int(2, help="grading workers of the service (each grades one submission at a time)").tag(config=True)
    scheduler = Unicode("", help="a Dask scheduler's address: grade on that cluster instead").tag(config=True)

    @validate("max_graded")
    def _check_count(self, proposal):
        if proposal.value < 0:
            raise PreliminaryPolicyError(f"c.PreliminaryFeedback.max_graded = {proposal.value} must be 0 or more "
                                         "(0: no preliminary grading); write e.g. c.PreliminaryFeedback.max_graded = 3")
        return proposal.value

    @validate("window_hours", "quiet_minutes_before_due")
    def _check_span(self, proposal):
        name, value = proposal.trait.name, proposal.value
        if not value >= 0 or value == float("inf"):  # also refuses NaN
            raise PreliminaryPolicyError(f"c.PreliminaryFeedback.{name} = {value!r} must be a number of 0 or more; "
                                         f"write e.g. c.PreliminaryFeedback.{name} = 24")
        return value


@dataclasses.dataclass(frozen=True)
class Allowance:
    """May this submission be graded now? ``remaining``: graded submissions left in the window after it."""

    graded: bool
    remaining: int
    next_at: datetime.datetime | None  # when the next graded submission is possible (None: now, or never)
    reason: str                        # "", "disabled", "over-limit", "quiet-period"


def allowance(settings, graded_at, now, due=None):
    """Whether a submission arriving at ``now`` is graded, given when the student's earlier ones were
    (``graded_at``: aware datetimes of the submissions that counted) and their due date (aware, or None)."""
    window = datetime.timedelta(hours=settings.window_hours)
    recent = sorted(t for t in graded_at if now - window < t <= now)
    if not settings.enabled or settings.max_graded == 0:
        return Allowance(False, 0, None, "disabled")
    if due is not None and settings.quiet_minutes_before_due and \
            due - datetime.timedelta(minutes=settings.quiet_minutes_before_due) <= now < due:
        return Allowance(False, max(0, settings.max_graded - len(recent)), None, "quiet-period")
    if len(recent) >= settings.max_graded:
        # the oldest that still counts leaves the window first
        return Allowance(False, 0, recent[len(recent) - settings.max_graded] + window, "over-limit")
    left = settings.max_graded - len(recent) - 1
    next_at = None if left > 0 else recent[0] + window if recent else now + window
    return Allowance(True, left, next_at, "")
