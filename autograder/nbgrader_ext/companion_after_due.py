"""nbgrader's release_assignment, holding back an assignment that gives another's answers away until no
submission of that one can still earn points.

The companion notebook studies activation functions with working ``Linear``, ``ReLU``, softmax with
its cross-entropy gradient, ``MLP.backward`` and the SGD step: the graded solution, in the
assignment's own conventions. Released with the assignment, it would hand every student the
answers. So an assignment named in ``solutions_of`` is released only once the last due date of the
assignment it names (the course's, or the latest extension) is more than
``LatePolicy.zero_after_days`` past: from then on a submission scores zero, as the late-work policy
already says ("then the solutions may be out"). Without a due date for that assignment, the release
is refused and the message says what to set.

Formgrader's *Release* button and ``nbgrader release_assignment`` both go through this class;
configured in nbgrader_config.py as ``c.ExchangeFactory.release_assignment``, with
``c.CompanionAfterDueRelease.solutions_of = {"task4_1_companion": "task4_1"}``.
"""
import datetime

from nbgrader.exchange.default.release_assignment import ExchangeReleaseAssignment
from traitlets import Dict, Unicode

from autograder.late_work import LatePolicy


def companion_release_time(policy, assignment):
    """The first moment a companion of ``assignment`` may be released (aware), or None without a due date."""
    due = policy.due_date(assignment)
    if due is None:
        return None
    extended = [policy.student_due_date(assignment, student)[0] for student in policy.extensions.get(assignment, {})]
    last = max([due, *extended])
    return last + datetime.timedelta(days=policy.zero_after_days, minutes=policy.grace_minutes)


def refusal(policy, now, companion, assignment):
    """Why ``companion`` (solutions of ``assignment``) may not be released at ``now`` (aware), or None."""
    opens = companion_release_time(policy, assignment)
    if opens is None:
        return (f"{companion} holds working solutions of {assignment}'s classes, so it is released "
                f"only after {assignment} can no longer be submitted for points, and {assignment} has "
                f"no due date. Set c.LatePolicy.due_dates = {{'{assignment}': '2027-01-15 17:00 "
                "Europe/Berlin'}} in the course's nbgrader_config.py, then release it after that date.")
    if now < opens:
        return (f"{companion} holds working solutions of {assignment}'s classes: it can be released "
                f"from {opens.isoformat(timespec='minutes')} on, when the last due date (extensions included) is "
                f"{policy.zero_after_days} days past and a submission can no longer earn points. Nothing was "
                "released.")
    return None


class CompanionAfterDueRelease(ExchangeReleaseAssignment):
    solutions_of = Dict(key_trait=Unicode(), value_trait=Unicode(), config=True,
                        help="{assignment: the graded assignment whose solutions it holds}: released only once "
                             "no submission of that one can earn points")

    def init_src(self):
        assignment = self.solutions_of.get(self.coursedir.assignment_id)
        if assignment:
            why = refusal(LatePolicy(config=self.config), datetime.datetime.now(datetime.UTC),
                          self.coursedir.assignment_id, assignment)
            if why:
                self.fail(why)
        super().init_src()
