"""The exchange of a course folder that has none: the output folder of `python -m autograder grade`.

Such a folder is an nbgrader course (Formgrader grades in it), but its submissions came from a
folder, a zip or an LMS, not from nbgrader's exchange. With the default exchange, every page of
Formgrader says the exchange directory "does not exist and could not be created", and the
server logs a critical line per request. Here listing finds nothing, quietly, and the actions
that would need an exchange (release, collect, fetch, submit, feedback) say what to do instead.
Configured with ``c.ExchangeFactory.<action>`` in that folder's nbgrader_config.py.
"""
from nbgrader.exchange import abc

WHY = ("this course folder was written by `python -m autograder grade` and has no exchange: release the "
       "assignment and return feedback through the course hub (docs/hub.md) or your LMS")


class NoExchangeList(abc.ExchangeList):
    def start(self):
        return []


class _Refuse:
    def start(self):
        self.fail(f"nbgrader {self.action} is not available here: {WHY}.")


class NoExchangeReleaseAssignment(_Refuse, abc.ExchangeReleaseAssignment):
    action = "release_assignment"


class NoExchangeReleaseFeedback(_Refuse, abc.ExchangeReleaseFeedback):
    action = "release_feedback"


class NoExchangeCollect(_Refuse, abc.ExchangeCollect):
    action = "collect"


class NoExchangeFetchAssignment(_Refuse, abc.ExchangeFetchAssignment):
    action = "fetch_assignment"


class NoExchangeFetchFeedback(_Refuse, abc.ExchangeFetchFeedback):
    action = "fetch_feedback"


class NoExchangeSubmit(_Refuse, abc.ExchangeSubmit):
    action = "submit"


CONFIG_LINES = [f"c.ExchangeFactory.{action} = 'autograder.nbgrader_ext.no_exchange.NoExchange{name}'"
                for action, name in [("list", "List"), ("release_assignment", "ReleaseAssignment"),
                                     ("release_feedback", "ReleaseFeedback"), ("collect", "Collect"),
                                     ("fetch_assignment", "FetchAssignment"), ("fetch_feedback", "FetchFeedback"),
                                     ("submit", "Submit")]]
