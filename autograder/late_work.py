"""Due dates and late work: one policy for every way submissions arrive (the hub's exchange, LMS downloads).

The policy is set in the course's nbgrader_config.py as ``c.LatePolicy.…``. Each started day late
(after the grace period) costs ``percent_per_day`` of the score, up to ``max_percent``; more than
``zero_after_days`` days late scores zero.

Scores are never changed: ``apply`` stores on each Result the penalty its submission time earns
now, and every output (grades.csv, the report, feedback, the gradebook) takes it off the total as
it is written. So regrading or adding manual scores never applies it twice, and a due date or an
extension changed later counts from the next `grade` or `publish`.
"""
import dataclasses
import datetime
import html
import math
import pathlib
import re
import zoneinfo

from traitlets import Dict, Float, Int, TraitError, Unicode, validate
from traitlets.config import Configurable, PyFileConfigLoader

from autograder.errors import UserError

DAY = 86400
UTC = datetime.UTC
EXAMPLE = "'2027-01-15 17:00 Europe/Berlin' or '2027-01-15T17:00:00+01:00'"
# what each setting accepts, for the error message
LIMITS = {"percent_per_day": (0, math.inf, "10"), "max_percent": (0, 100, "50"),
          "zero_after_days": (0, math.inf, "7"), "grace_minutes": (0, math.inf, "15")}


class LatePolicyError(TraitError, UserError):
    """A late-work setting that cannot be used: the message names it and shows a valid value."""


def _zone(name, setting):
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise LatePolicyError(f"{setting}: unknown time zone {name!r}; write e.g. 'Europe/Berlin' or 'UTC'") from None


def parse_date(value, zone="UTC", setting="due date"):
    """An aware datetime: '2027-01-15 17:00 Europe/Berlin', ISO 8601 with an offset, or a date and time in ``zone``."""
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        text = str(value).strip()
        head, _, last = text.rpartition(" ")
        named = None
        if head and re.fullmatch(r"[A-Za-z][\w+\-/]*", last):
            named, text = _zone(last, setting), head
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise LatePolicyError(f"{setting} = {value!r} is not a date and time; write e.g. {EXAMPLE}") from None
        if "T" not in text.upper() and " " not in text:  # midnight at the start of the day would surprise
            raise LatePolicyError(f"{setting} = {value!r} has no time of day; write e.g. {EXAMPLE}")
        if named and moment.tzinfo:
            raise LatePolicyError(f"{setting} = {value!r} has both an offset and a zone name; write e.g. {EXAMPLE}")
        moment = moment.replace(tzinfo=named or moment.tzinfo)
    return moment if moment.tzinfo else moment.replace(tzinfo=_zone(zone, "c.LatePolicy.timezone"))


def iso(moment):
    """ISO 8601 in UTC, as results files hold submission times ("" for None)."""
    return moment.astimezone(UTC).isoformat() if moment else ""


def from_iso(text):
    """The datetime of an ``iso`` string; None for "" or a value that is not one."""
    try:
        moment = datetime.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class LatePolicy(Configurable):
    """Due dates, extensions and the late penalty: ``c.LatePolicy.…`` in nbgrader_config.py."""

    due_dates = Dict(help="assignment id -> due date, e.g. {'task4_1': '2027-01-15 17:00 Europe/Berlin'}; "
                          "a date and time without a zone is in `timezone`").tag(config=True)
    timezone = Unicode("UTC", help="time zone of due dates written without one").tag(config=True)
    percent_per_day = Float(10.0, help="each started day late costs this percentage of the score").tag(config=True)
    max_percent = Float(50.0, help="the penalty is capped at this percentage").tag(config=True)
    zero_after_days = Int(7, help="a submission more than this many days late scores zero").tag(config=True)
    grace_minutes = Float(0.0, help="minutes after the due date that still count as on time").tag(config=True)
    extensions = Dict(help="assignment id -> {student id: that student's due date}").tag(config=True)

    @validate("timezone")
    def _check_timezone(self, proposal):
        _zone(proposal.value, "c.LatePolicy.timezone")
        return proposal.value

    @validate(*LIMITS)
    def _check_number(self, proposal):
        name, value = proposal.trait.name, proposal.value
        low, high, example = LIMITS[name]
        if not low <= value <= high:  # also refuses NaN
            bound = f"between {low} and {high}" if high < math.inf else f"at least {low}"
            raise LatePolicyError(f"c.LatePolicy.{name} = {value!r} must be {bound}; "
                                  f"write e.g. c.LatePolicy.{name} = {example}")
        return value

    @validate("due_dates")
    def _check_due_dates(self, proposal):
        for assignment, due in proposal.value.items():
            parse_date(due, setting=f"c.LatePolicy.due_dates[{assignment!r}]")
        return proposal.value

    @validate("extensions")
    def _check_extensions(self, proposal):
        for assignment, students in proposal.value.items():
            if not isinstance(students, dict):
                raise LatePolicyError(f"c.LatePolicy.extensions[{assignment!r}] must map student ids to due dates; "
                                      f"write e.g. {{'s1234567': '2027-01-20 17:00 Europe/Berlin'}}")
            for student, due in students.items():
                parse_date(due, setting=f"c.LatePolicy.extensions[{assignment!r}][{student!r}]")
        return proposal.value

    def due_date(self, assignment):
        """The assignment's due date (aware), or None when it has none."""
        due = self.due_dates.get(assignment)
        return None if due is None else parse_date(due, self.timezone)

    def student_due_date(self, assignment, student_id):
        """(the student's due date or None, whether it is an extension)."""
        extension = self.extensions.get(assignment, {}).get(student_id)
        if extension is not None:
            return parse_date(extension, self.timezone), True
        return self.due_date(assignment), False


def with_extensions(policy, assignment, granted):
    """``policy`` with the LMS's extensions ({student id: aware due date}) added; the course's own win."""
    if granted:
        ours = policy.extensions.get(assignment, {})
        policy.extensions = {**policy.extensions, assignment: {**granted, **ours}}
    return policy


def load_policy(config_file):
    """The LatePolicy of a course's nbgrader_config.py; raises LatePolicyError for a setting it cannot use."""
    path = pathlib.Path(config_file)
    config = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    settings = config.LatePolicy if "LatePolicy" in config else {}
    unknown = sorted(set(settings) - set(LatePolicy.class_trait_names(config=True)))
    if unknown:  # a typo would otherwise silently mean "nothing is late"
        raise LatePolicyError(f"c.LatePolicy.{unknown[0]} in {path} is not a setting; the settings are "
                              f"{', '.join(sorted(LatePolicy.class_trait_names(config=True)))}")
    return LatePolicy(config=config)


@dataclasses.dataclass
class Lateness:
    """The verdict on one submission."""

    due: datetime.datetime | None            # the student's due date (an extension if given); None: none set
    submitted_at: datetime.datetime | None   # None: not known
    seconds_late: float = 0.0                # after the due date, grace period included
    days_late: int = 0                       # started days after the grace period: what the penalty counts
    penalty_percent: float = 0.0             # 0..100
    extended: bool = False
    grace_minutes: float = 0.0               # of the policy, to explain the verdict
    zero_after_days: int = 7
    reported_late: bool = False              # the LMS said late without saying when (Canvas's LATE tag)


def assess(policy, assignment, student_id, submitted_at, reported_late=False):
    """The Lateness of one submission; no due date or no submission time is on time.

    ``reported_late``: the LMS judged it late against its own due date and gave no time (Canvas's
    LATE tag): one day late, the least that is late, unless the policy grants this student an
    extension (which the LMS did not know of).
    """
    due, extended = policy.student_due_date(assignment, student_id)
    lateness = Lateness(due, submitted_at, extended=extended, grace_minutes=policy.grace_minutes,
                        zero_after_days=policy.zero_after_days)
    if due is not None and submitted_at is None and reported_late and not extended:
        lateness.reported_late, lateness.days_late = True, 1
        lateness.penalty_percent = min(policy.max_percent, policy.percent_per_day)
        return lateness
    if due is None or submitted_at is None:
        return lateness
    if submitted_at.tzinfo is None:  # nbgrader keeps naive UTC
        lateness.submitted_at = submitted_at = submitted_at.replace(tzinfo=UTC)
    lateness.seconds_late = max(0.0, (submitted_at - due).total_seconds())
    after_grace = lateness.seconds_late - 60 * policy.grace_minutes
    if after_grace > 0:
        lateness.days_late = math.ceil(after_grace / DAY)
        lateness.penalty_percent = (100.0 if lateness.days_late > policy.zero_after_days
                                    else min(policy.max_percent, policy.percent_per_day * lateness.days_late))
    return lateness


def final_score(score, penalty_percent):
    """The score after the penalty (None stays None; no penalty: the score unchanged)."""
    if score is None or not penalty_percent:
        return score
    return round(float(score) * (1 - penalty_percent / 100), 2) + 0.0  # + 0.0: never "-0"


def apply(results, policy, assignment):
    """Set each result's late fields from its submitted_at; the scores stay as they are, so applying twice is once."""
    for result in results:
        lateness = assess(policy, assignment, result.student_id, from_iso(result.submitted_at), result.reported_late)
        result.late_seconds = lateness.seconds_late if lateness.days_late else 0.0
        result.penalty_percent = lateness.penalty_percent
        result.late_note = describe(lateness) if lateness.due else ""  # no due date: nothing to tell the student
    return results


# ---------------------------------------------------------------- words for people

UNITS = (("day", DAY), ("h", 3600), ("min", 60), ("s", 1))


def format_duration(seconds, parts=3):
    """'1 day 2 h 5 min': the first ``parts`` units that are not zero; a part of a second counts as one."""
    rest = math.ceil(max(0.0, seconds) - 1e-9)
    words = []
    for name, size in UNITS:
        count, rest = divmod(rest, size)
        if count and len(words) < parts:
            words.append(f"{count} {name}{'s' if name == 'day' and count > 1 else ''}")
    return " ".join(words) or "0 s"


def _number(value):
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _when(moment, zone, day=True):
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z" if day else "%H:%M %Z")


def _after(score, max_score, penalty_percent):
    """', 20.7 of 23 points after it' when a penalty takes part of a known score."""
    if score is None or not 0 < penalty_percent < 100:
        return ""
    of = f" of {_number(max_score)}" if max_score else ""
    return f", {_number(final_score(score, penalty_percent))}{of} points after it"


def describe(lateness, score=None, max_score=None):
    """One line a student understands: on time, or late by how long and what it costs."""
    due, submitted = lateness.due, lateness.submitted_at
    if due is None:
        return "on time (no due date is set)"
    if submitted is None and lateness.reported_late:
        return (f"late: the LMS marked it late and gives no time, so it counts as one day late (due "
                f"{_when(due, due.tzinfo)}): penalty {_number(lateness.penalty_percent)}%"
                + _after(score, max_score, lateness.penalty_percent))
    if submitted is None:
        return f"on time (no submission time was recorded; due {_when(due, due.tzinfo)})"
    extension = ", with your extension" if lateness.extended else ""
    if not lateness.days_late:
        same_day = submitted.astimezone(due.tzinfo).date() == due.date()  # then the due time alone is clear
        grace = f", within the {_number(lateness.grace_minutes)} min grace period" if lateness.seconds_late else ""
        return (f"on time (submitted {_when(submitted, due.tzinfo)}, due {_when(due, due.tzinfo, day=not same_day)}"
                f"{extension}{grace})")
    late = f"late by {format_duration(lateness.seconds_late)} (due {_when(due, due.tzinfo)}{extension})"
    if lateness.days_late > lateness.zero_after_days:
        return f"{late}: more than {lateness.zero_after_days} days late scores zero"
    return f"{late}: penalty {_number(lateness.penalty_percent)}%" + _after(score, max_score, lateness.penalty_percent)


NOTICE_START, NOTICE_END = "<!-- late-work -->", "<!-- /late-work -->"
BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


def notice_html(result):
    """A short block for the top of the student's feedback page ("" when the course sets no due date)."""
    if not result.late_note:
        return ""
    text = result.late_note[0].upper() + result.late_note[1:]
    text += _after(result.score, result.max_score, result.penalty_percent)
    colour = "#b35900" if result.penalty_percent else "#2e7d32"
    return (f'{NOTICE_START}<div class="late-work" style="margin:1em;padding:.6em 1em;border-left:4px solid '
            f'{colour};background:#f7f7f7;font-family:sans-serif"><strong>Submission time:</strong> '
            f'{html.escape(text)}</div>{NOTICE_END}')


def insert_notice(page_html, notice):
    """The page with ``notice`` right after its opening <body> tag, in place of one inserted before."""
    body = BODY.search(page_html)
    if body is None:
        return notice + page_html
    rest = page_html[body.end():]
    if rest.startswith(NOTICE_START) and NOTICE_END in rest:  # only right after <body>: never the student's text
        rest = rest[rest.index(NOTICE_END) + len(NOTICE_END):]
    return page_html[:body.end()] + notice + rest
