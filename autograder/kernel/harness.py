"""The call harness: how the hidden tests call student code in the grading kernel.

Quietly (nbgrader scores a test cell 0 if it writes to stderr), within a CPU budget (a call that
never returns fails; one the busy machine starved is GradingMachineBusy, never a score), and with a
crash turned into a readable failure that carries its diagnosis. Also the numerical tools every
property uses: centred differences, the tolerance for the student's precision, ``fail``.

The Task 4.1 properties are in contract.py; the hidden tests' entry points in checks.py.
"""
import contextlib
import io
import pathlib
import signal
import time
import warnings

import numpy as np

from autograder.kernel.cell_errors import GradingMachineBusy, StudentCodeTimeout
from autograder.kernel.diagnosis import GENERIC, tag

# Norm-wise relative error ||a-b|| / (||a|| + ||b||) allowed between an analytic
# gradient and centred differences.  float64 code: steps of 1e-6 agree to ~1e-9, so
# 1e-5 leaves a wide margin.  Code that computes in float32 whatever it is given gets
# steps of 1e-3 (float32 rounding of ~1e-7 divided by 2e-3 is ~1e-4 of a typical
# gradient entry) and 2e-2.  Every mistake in the mutation corpus scores >= 0.3.
TOLERANCE = {np.dtype(np.float64): 1e-5, np.dtype(np.float32): 2e-2}
STEP = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-3}
# CPU seconds one call of student code may use (the kernel's, all threads).  The largest call is a
# training step on a batch of 32 MNIST images (the reference: ~1 ms, a loop over the batch's samples:
# ~0.05 s); a call that uses more almost surely never returns, and the test fails naming it.
# Budgets count CPU time, so a machine busy with other work cannot make a call run out of one.
CALL_SECONDS = 5
# A call that sleeps or blocks uses no CPU: wall-clock time stops it, at this many times its CPU
# budget (at least HANG_MIN_SECONDS). When that happens while the kernel spent at least
# STARVED_SHARE of the time waiting for a CPU, the machine was too busy: GradingMachineBusy, not a score.
HANG_FACTOR = 6
HANG_MIN_SECONDS = 30
STARVED_SHARE = 0.5


def run_queue_seconds():
    """Seconds the calling thread (the one running student code) has spent runnable but waiting for a CPU
    (Linux schedstat). One small file: it is read at every step of a training loop."""
    try:
        with open("/proc/thread-self/schedstat", "rb") as handle:
            return int(handle.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0  # no schedstat: starvation cannot be told, the limit counts as the code's


@contextlib.contextmanager
def quiet():
    """Run student code without letting it write to stderr.

    nbgrader gives 0 points to a test cell with *any* stderr output, so a
    harmless RuntimeWarning would zero a correct answer.  Non-finite results
    are caught explicitly by the checks instead.
    """
    sink = io.StringIO()
    with np.errstate(all="ignore"), warnings.catch_warnings(), \
            contextlib.redirect_stderr(sink), contextlib.redirect_stdout(sink):
        warnings.simplefilter("ignore")
        yield


def _describe_inputs(args):
    shapes = [str(tuple(a.shape)) for a in args if isinstance(a, np.ndarray)]
    return f" on a {' and a '.join(shapes)} input" if shapes else ""


GRADER_DIR = str(pathlib.Path(__file__).parent)  # frames in here are the grader's, not the student's


class _Alarm(BaseException):
    """Raised into student code by SIGPROF or SIGALRM (a BaseException: ``except Exception`` cannot swallow it)."""


class Watch:
    """What student code is running now, and since when (CPU, wall clock, run queue), for the limits' messages."""

    def __init__(self, what, args=()):
        self.restart(what, *args)

    def now(self, what, *args):
        self.what, self.args, self.stuck_in = what, args, None

    def restart(self, what, *args):
        """A new step of a loop under one time_limit: it gets the whole limit again."""
        self.started = time.process_time()
        self.wall_started = time.monotonic()
        self.queued_before = run_queue_seconds()
        self.now(what, *args)

    def cpu(self):
        return time.process_time() - self.started

    def wall(self):
        return time.monotonic() - self.wall_started


@contextlib.contextmanager
def time_limit(what, args=(), seconds=None):
    """Fail with StudentCodeTimeout if the block uses more than ``seconds`` (CALL_SECONDS) of CPU time.

    Yields a Watch: a block of several calls names the one running with ``watch.now(...)``; a
    loop gives each step the whole limit with ``watch.restart(...)`` (one timer for the loop:
    arming one per step cost the MNIST test 5-9% of its time).  The budget is the kernel's CPU
    time (ITIMER_PROF, every thread), so other work on the machine cannot use it up. A block
    that sleeps or blocks is stopped by wall-clock time (SIGALRM) after HANG_FACTOR times the
    budget; if the kernel mostly waited for a CPU meanwhile, that is GradingMachineBusy. Works
    in the kernel's main thread; nested limits keep the outer one.
    """
    seconds = CALL_SECONDS if seconds is None else seconds
    wall = max(seconds * HANG_FACTOR, HANG_MIN_SECONDS)
    watch = Watch(what, args)
    if signal.getitimer(signal.ITIMER_PROF)[0] > 0 or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        yield watch  # an outer limit is already running
        return

    def stop(kind, timer, left, frame):
        if left > 0.01:  # the running step started after the timer did: give it the rest of its limit
            signal.setitimer(timer, left)
            return
        watch.stuck_in = None if frame.f_code.co_filename.startswith(GRADER_DIR) else frame.f_code.co_qualname
        raise _Alarm(kind)

    previous = (signal.signal(signal.SIGPROF, lambda n, f: stop("cpu", signal.ITIMER_PROF, seconds - watch.cpu(), f)),
                signal.signal(signal.SIGALRM, lambda n, f: stop("wall", signal.ITIMER_REAL, wall - watch.wall(), f)))
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.setitimer(signal.ITIMER_REAL, wall)
    try:
        yield watch
    except _Alarm as alarm:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        raise _limit_error(watch, alarm.args[0], seconds, wall) from None
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGPROF, previous[0])
        signal.signal(signal.SIGALRM, previous[1])


def _limit_error(watch, kind, seconds, wall):
    """The exception for a block stopped by its CPU budget ("cpu") or its wall-clock limit ("wall")."""
    inner = watch.stuck_in if watch.stuck_in and watch.stuck_in not in watch.what else None
    where = f"{_describe_inputs(watch.args)}" + (f" (it was running `{inner}`)" if inner else "")
    elapsed, cpu = watch.wall(), watch.cpu()
    if kind == "cpu":
        return tag(StudentCodeTimeout(
            f"`{watch.what}` used its {seconds:g} s of CPU time without returning{where}: look for a loop "
            "that never ends (a `while` whose condition never changes) or work that grows far beyond the "
            "inputs."), "too-slow")
    queued = run_queue_seconds() - watch.queued_before
    if queued >= STARVED_SHARE * elapsed:
        return GradingMachineBusy(
            f"`{watch.what}` had not returned after {elapsed:.0f} s, but the grading machine was too busy to run "
            f"it: it waited {queued:.0f} s for a CPU and computed {cpu:.1f} s. Not a fault of the submission: "
            "grading it again on a less busy machine decides.")
    return tag(StudentCodeTimeout(
        f"`{watch.what}` did not return within {wall:g} s{where} and computed for only {cpu:.1f} s of that: "
        "it was waiting (a sleep, input(), a lock or a file), not computing."), "too-slow")


def call(what, fn, *args, shape_hint=""):
    """Call student code quietly and time-limited; turn a crash into a readable failure.

    ``shape_hint`` is added when the crash is a shape mismatch (a ValueError).
    """
    try:
        with quiet(), time_limit(what, args):
            return fn(*args)
    except AssertionError:
        raise
    except Exception as exc:  # student code may raise anything
        hint = f" Hint: {shape_hint}" if shape_hint and isinstance(exc, ValueError) else ""
        raise tag(AssertionError(f"{what} raised {type(exc).__name__}: {exc}.{hint}"),
                  crash_diagnosis(exc, shape_hint)) from exc


def crash_diagnosis(exc, shape_hint=""):
    """The identifier of a crash in student code: a stub left in place, a shape mismatch, or other."""
    if isinstance(exc, NotImplementedError):
        return "not-implemented"
    return "shape-error" if shape_hint and isinstance(exc, ValueError) else "code-raises"


def numerical_gradient(f, x, step):
    """Centred differences of the scalar f() with respect to array x (changed in place)."""
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + step
        f_plus = float(f())
        x[idx] = old - step
        f_minus = float(f())
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * step)
    return grad


def precision_of(array):
    """dtype whose tolerance applies: float64 unless the student's code works in lower precision."""
    dtype = np.asarray(array).dtype
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


def fail(message, context="", diagnosis=None, catalogue=GENERIC):
    """Fail the test with ``message``; ``diagnosis`` names the mistake (None: not known), from ``catalogue``."""
    raise tag(AssertionError(message + (f"\n  (case: {context})" if context else "")), diagnosis, catalogue)
