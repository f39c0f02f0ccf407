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


def _refusing(base, action):
    """An exchange class whose every use says what to do instead of failing on a missing folder."""
    def start(self):
        self.fail(f"nbgrader {action} is not available here: {WHY}.")
    name = f"NoExchange{base.__name__.removeprefix('Exchange')}"
    return type(name, (base,), {"start": start, "__module__": __name__, "__qualname__": name})


ACTIONS = {"release_assignment": abc.ExchangeReleaseAssignment, "release_feedback": abc.ExchangeReleaseFeedback,
           "collect": abc.ExchangeCollect, "fetch_assignment": abc.ExchangeFetchAssignment,
           "fetch_feedback": abc.ExchangeFetchFeedback, "submit": abc.ExchangeSubmit}
CLASSES = {"list": NoExchangeList, **{action: _refusing(base, action) for action, base in ACTIONS.items()}}
globals().update({cls.__name__: cls for cls in CLASSES.values()})  # importable by the names config gives

CONFIG_LINES = [f"c.ExchangeFactory.{action} = 'autograder.nbgrader_ext.no_exchange.{cls.__name__}'"
                for action, cls in CLASSES.items()]
