"""nbgrader's release_assignment, holding back the companion notebook until no submission can still earn points.

The companion (``layout.COMPANION``) studies activation functions with working ``Linear``, ``ReLU``,
softmax with its cross-entropy gradient, ``MLP.backward`` and the SGD step: the graded solution, in
the assignment's own conventions. Released with the assignment, it would hand every student the
answers. So it is released only once the last student's due date (the course's, or the latest
extension) is more than ``LatePolicy.zero_after_days`` past: from then on a submission scores zero,
as the late-work policy already says ("then the solutions may be out"). Without a due date for the
assignment, the release is refused and the message says what to set.

Formgrader's *Release* button and ``nbgrader release_assignment`` both go through this class;
configured in nbgrader_config.py as ``c.ExchangeFactory.release_assignment``.
"""
import datetime

from nbgrader.exchange.default.release_assignment import ExchangeReleaseAssignment

from autograder.course import layout
from autograder.late_work import LatePolicy


def companion_release_time(policy, assignment=layout.ASSIGNMENT):
    """The first moment the companion may be released (aware), or None when ``assignment`` has no due date."""
    due = policy.due_date(assignment)
    if due is None:
        return None
    extended = [policy.student_due_date(assignment, student)[0] for student in policy.extensions.get(assignment, {})]
    last = max([due, *extended])
    return last + datetime.timedelta(days=policy.zero_after_days, minutes=policy.grace_minutes)


def refusal(policy, now):
    """Why the companion may not be released at ``now`` (aware), or None when it may."""
    opens = companion_release_time(policy)
    if opens is None:
        return (f"{layout.COMPANION} holds working solutions of {layout.ASSIGNMENT}'s classes, so it is released "
                f"only after {layout.ASSIGNMENT} can no longer be submitted for points, and {layout.ASSIGNMENT} has "
                f"no due date. Set c.LatePolicy.due_dates = {{'{layout.ASSIGNMENT}': '2027-01-15 17:00 "
                "Europe/Berlin'}} in the course's nbgrader_config.py, then release it after that date.")
    if now < opens:
        return (f"{layout.COMPANION} holds working solutions of {layout.ASSIGNMENT}'s classes: it can be released "
                f"from {opens.isoformat(timespec='minutes')} on, when the last due date (extensions included) is "
                f"{policy.zero_after_days} days past and a submission can no longer earn points. Nothing was "
                "released.")
    return None


class CompanionAfterDueRelease(ExchangeReleaseAssignment):
    def init_src(self):
        if self.coursedir.assignment_id == layout.COMPANION:
            why = refusal(LatePolicy(config=self.config), datetime.datetime.now(datetime.UTC))
            if why:
                self.fail(why)
        super().init_src()
