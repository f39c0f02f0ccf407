"""Autograde stage: nbgrader's Execute, for notebooks that may be hostile or may crash.

Added to plain Execute (configured in nbgrader_config.py in its place):

* before the first cell, the kernel imports ``autograder.kernel.integrity`` (a record of numpy,
  builtins and IPython as they are before any student code); before each graded test
  cell it verifies them, and a notebook that replaced one fails that test with a
  message naming the replacement (the test itself is not run);
* when the kernel dies (``os._exit``, a crash, a memory or process limit) or stops
  answering (its output channel times out), the cell where that happened and every
  graded cell after it fail with an explanation, and the notebook is still graded:
  points earned before stay.  Plain Execute raises, and nbgrader grades nothing;
* time limits by kind of cell, so that code that never returns costs seconds, not the
  whole budget: the cells in ``long_cells`` (loading data, training) get ``timeout``, every
  other cell ``quick_timeout``; once one cell has hung, every later cell but those in
  ``self_timed_cells`` (whose checks bound each call of student code themselves) gets
  ``after_hang_timeout``.  A cell stopped by its limit says where it was interrupted.
  When the notebook has used ``notebook_timeout`` seconds, the remaining cells are not
  run (graded ones fail), so the points earned so far are still saved;
* a busy machine is never the student's fault: a cell's limit counts the kernel's own time
  (computing, or waiting by its own choice), not time the machine took from it (waiting for a CPU,
  stopped, stolen: ``kernel_watch``, /proc read from outside the kernel). When the wall-clock limit
  passes, the cell runs on until its own time reaches the limit; if the machine holds it for
  ``busy_wall_factor`` times the limit first, or a notebook's budget ran out while the machine took
  at least half of it, the cell gets a ``GradingMachineBusy`` error instead of a timeout, which the
  grade command turns into a ``grader-error`` row;
* a kernel that does not answer before the first cell (jupyter_client's readiness wait, or
  nbconvert's first request) has run none of the notebook's code: every graded cell gets a
  ``KernelSilentAtStart`` error saying how long it was waited for, a ``grader-error`` row, where
  plain Execute raises and the row could only say that nbgrader failed.
"""
import asyncio
import os
import re
import time

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, Float, Integer, List, Unicode

from autograder.errors import GraderFault
from autograder.kernel import cell_errors
from autograder.limits import Limits
from autograder.nbgrader_ext.kernel_watch import TICK, KernelWatch

RECORD = "__import__('autograder.kernel.integrity')"
# error names that mean student code did not return: nbgrader's cell timeout, the checks' per-call limit
HANG_ERRORS = (cell_errors.CELL_TIMEOUT, cell_errors.STUDENT_CODE_TIMEOUT)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# an IPython traceback frame of notebook code: "Cell In[12], line 5, in ReLU.forward(self, Z)"
NOTEBOOK_FRAME = re.compile(r"^Cell In\[\d+\], line \d+, in ([\w.<>]+)", re.MULTILINE)
VERIFY = "__import__('sys').modules['autograder.kernel.integrity'].verify(globals())"


def busy_machine_output(limit, usage):
    """The error of a cell the machine kept from running: ``usage`` (kernel_watch.Usage) says how."""
    return error_output(cell_errors.GRADING_MACHINE_BUSY,
                        f"the grading machine kept the kernel from running: of {usage.wall:.0f} s it took "
                        f"{usage.machine:.0f} s (waiting for a CPU {usage.waited:.0f} s, "
                        f"stopped {usage.stopped:.0f} s), "
                        f"so the code's own time ({usage.own:.1f} s, computing {usage.cpu:.1f} s) never reached its "
                        f"{limit} s limit. Not a fault of the submission; grading it again decides")


class KernelSilentAtStart(GraderFault):
    """The kernel did not answer nbconvert's first request (kernel_info) within the cell limit."""


def silent_at_start(exc):
    """The sentence for a kernel that never answered before the first cell, or None for any other failure."""
    if isinstance(exc, KernelSilentAtStart) or (
            isinstance(exc, RuntimeError) and str(exc).startswith("Kernel didn't respond in ")):
        return (f"the kernel did not answer before the notebook's first cell ({exc}); none of the notebook's "
                "code had run, so the grading machine, not the submission, held it up")
    return None


def integrity_message(ename, evalue):
    if ename == cell_errors.INTEGRITY_ERROR:
        return evalue
    return (f"the grader's integrity check could not run ({ename}: {evalue}): code in the notebook changed "
            "the kernel's modules")


def error_output(ename, evalue):
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def interrupted_in(outputs):
    """Name of the notebook function a timed-out cell was interrupted in, from its KeyboardInterrupt traceback."""
    for output in outputs:
        if output.get("output_type") == "error" and output.get("ename") == "KeyboardInterrupt":
            frames = NOTEBOOK_FRAME.findall(ANSI.sub("", "\n".join(output.get("traceback", []))))
            if frames:
                return frames[-1]
    return None


def explain_timeout(outputs, seconds):
    """Rewrite nbgrader's bare CellTimeoutError output to say how long and where the cell hung."""
    where = interrupted_in(outputs)
    if where and where != "<module>":
        said = f"`{where}` did not return within {seconds} s; the cell was interrupted there"
    else:
        said = f"the cell did not finish within {seconds} s and was interrupted"
    for output in outputs:
        if output.get("output_type") == "error" and output.get("ename") == cell_errors.CELL_TIMEOUT:
            output.evalue = said
            output.traceback = [f"CellTimeoutError: {said}"]


class GuardedExecute(Execute):

    check_integrity = Bool(True, help="verify numpy, builtins and IPython before each graded test cell"
                           ).tag(config=True)
    assignment_cells = Dict(help="per assignment: {'long': grade_ids allowed the full `timeout` "
                            "(data loading, training), 'self_timed': long cells whose checks time-limit each call of "
                            "student code}; nbgrader_config.py fills it from each source/*/assignment.toml"
                            ).tag(config=True)
    long_cells = List(Unicode(), [], help="grade_ids allowed the full `timeout` in an assignment that "
                      "assignment_cells does not name").tag(config=True)
    quick_timeout = Integer(Limits.quick_cell_timeout, help="seconds for every cell not in long_cells").tag(config=True)
    self_timed_cells = List(Unicode(), [], help="long cells whose checks time-limit each call of student code "
                            "(they keep their limit after a hang), in an assignment assignment_cells does not name"
                            ).tag(config=True)
    after_hang_timeout = Integer(Limits.after_hang_timeout,
                                 help="seconds for later cells once a cell has hung").tag(config=True)
    notebook_timeout = Integer(0, help="seconds for the whole notebook; later cells are not run (0: no "
                                       "limit)").tag(config=True)
    busy_wall_factor = Float(4.0, help="a cell may run this many times its limit in wall-clock time while the "
                             "machine, not its code, takes the time; then it ends as GradingMachineBusy"
                             ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._dead_after = None   # where the kernel died, once it has
        self._recorded = False
        self._hung = False        # a cell has run out of time, or a check's call did not return
        cells = self.assignment_cells.get((resources or {}).get("nbgrader", {}).get("assignment"), {})
        self._long = set(cells.get("long", self.long_cells))
        self._self_timed = set(cells.get("self_timed", self.self_timed_cells))
        self._out_of_time = None  # where the notebook's time ran out, once it has
        self._started = time.monotonic()
        self._cell_limit = self.timeout
        self._watch = None        # the kernel process, seen from outside (kernel_watch), once it reported its pid
        self._busy = None         # Usage of a cell stopped because the machine held it too long
        self._first_cell_reached = False
        try:
            return super().preprocess(nb, resources, km)
        except RuntimeError as exc:  # KernelSilentAtStart is one (a GraderFault), and so is jupyter_client's
            said = None if self._first_cell_reached else silent_at_start(exc)
            if said is None:
                raise
            self.log.warning("%s; every graded cell is marked %s", said, cell_errors.KERNEL_SILENT_AT_START)
            for cell in self.nb.cells:
                if utils.is_grade(cell):
                    cell.outputs = [error_output(cell_errors.KERNEL_SILENT_AT_START, said)]
            return self.nb, self.resources
        finally:
            if self._watch is not None:
                self._watch.close()

    def _seconds_left(self):
        """Of the notebook's budget; None without one."""
        return self.notebook_timeout - (time.monotonic() - self._started) if self.notebook_timeout else None

    def _limit_for(self, cell, seconds_left):
        """Seconds this cell may run, by its kind, after a hang, and within the notebook's budget."""
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        limit = self.timeout if grade_id in self._long else min(self.timeout, self.quick_timeout)
        if self._hung and grade_id not in self._self_timed:
            limit = min(limit, self.after_hang_timeout)
        return limit if seconds_left is None else min(limit, int(seconds_left) + 1)

    def _get_timeout(self, cell):  # nbclient asks this for each cell's limit
        return self._cell_limit

    async def _async_handle_timeout(self, timeout, cell=None):
        """nbclient: the cell's wall-clock limit passed without a reply. Wait on while the machine took the time."""
        if cell is None and not self._first_cell_reached:  # nbconvert's kernel_info, before any of the notebook's code
            raise KernelSilentAtStart(f"no reply to kernel_info within {timeout} s")
        while self._watch is not None and cell is not None:
            usage = self._watch.since_mark()
            if usage.own >= self._cell_limit:
                break
            if usage.wall >= self._wall_cap:
                whole = self._whole_notebook()  # the notebook's budget, not the machine, may have set the cap
                self._busy = usage if usage.wall >= self.busy_wall_factor * self._cell_limit or whole.starved() \
                    else None
                break
            if await ensure_async(self.kc.shell_channel.msg_ready()):
                return None  # the reply came: nbclient reads it
            await self._async_check_alive()
            await asyncio.sleep(TICK)
        return await super()._async_handle_timeout(timeout, cell)

    def preprocess_cell(self, cell, resources, index):  # noqa: C901 - the limits of one cell, in the order they apply
        self._first_cell_reached = True
        if cell.cell_type != "code":
            return super().preprocess_cell(cell, resources, index)
        if self._dead_after is not None:
            if utils.is_grade(cell):
                cell.outputs = [error_output("KernelDied", f"not run: the kernel died in {self._dead_after}, "
                                                           "before this cell")]
            return cell, resources
        where = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
        seconds_left = self._seconds_left()
        if self._out_of_time is None and seconds_left is not None and seconds_left < 1:
            self._out_of_time = where
        self._cell_limit = self._limit_for(cell, seconds_left)
        self._wall_cap = self.busy_wall_factor * self._cell_limit  # wall-clock seconds the machine may stretch it to
        if seconds_left is not None:
            self._wall_cap = min(self._wall_cap, max(seconds_left, self._cell_limit))
        if self._out_of_time is not None:
            whole = self._whole_notebook()
            if utils.is_grade(cell) and whole is not None and whole.starved():
                cell.outputs = [busy_machine_output(self.notebook_timeout, whole)]
            elif utils.is_grade(cell):
                cell.outputs = [error_output(cell_errors.NOTEBOOK_TIME_LIMIT, f"not run: the notebook used up its "
                                             f"{self.notebook_timeout} s in {self._out_of_time}")]
            return cell, resources
        try:
            if self.check_integrity and not self._recorded:  # before the first code cell: no student code yet
                failure = self._silently(RECORD, cell)
                if failure:
                    raise RuntimeError("the grading kernel cannot import autograder.kernel.integrity "
                                       f"({': '.join(failure)}); "
                                       "install this repository in the kernel's environment (pip install -e .)")
                self._recorded = True
                pid = self._ask("__import__('os').getpid()", cell)  # before any student code: its own pid
                if pid and pid.isdigit() and os.path.isdir(f"/proc/{pid}"):
                    self._watch = KernelWatch(int(pid))
            elif self.check_integrity and utils.is_grade(cell):
                failure = self._silently(VERIFY, cell)
                if failure:
                    cell.outputs = [error_output(cell_errors.INTEGRITY_ERROR, integrity_message(*failure))]
                    return cell, resources
            if self._watch is not None:
                self._watch.mark()
            self._busy = None
            cell, resources = super().preprocess_cell(cell, resources, index)
            error_names = {o.get("ename") for o in cell.outputs if o.get("output_type") == "error"}
            if cell_errors.CELL_TIMEOUT in error_names:
                if self._busy is not None:
                    cell.outputs = [busy_machine_output(self._cell_limit, self._busy)]
                    return cell, resources
                explain_timeout(cell.outputs, self._cell_limit)
            self._hung = self._hung or bool(error_names & set(HANG_ERRORS))
            return cell, resources
        except (DeadKernelError, CellTimeoutError, TimeoutError) as exc:
            # an interrupted slow cell is handled by Execute itself; this is a kernel that is gone or mute
            self._dead_after = where
            if self._watch is not None:  # mute because the machine stopped or starved it: not the student's doing
                usage = self._watch.since_mark()
                if usage.starved():
                    cell.outputs = [busy_machine_output(self._cell_limit, usage)]
                    return cell, resources
            self.log.warning("kernel lost in %s (%s); later graded cells fail, earlier points stay",
                             where, type(exc).__name__)
            how = "died" if isinstance(exc, DeadKernelError) else "stopped answering"
            cell.outputs.append(error_output(cell_errors.DEAD_KERNEL, f"the kernel {how} while running this cell "
                                             "(os._exit, exit(), a crash, broken builtins, or a memory or "
                                             "process limit); the cells after it were not run"))
            return cell, resources

    def _whole_notebook(self):
        """The kernel's Usage over its whole run so far, or None without a watch."""
        return None if self._watch is None else self._watch.since_start()

    def _ask(self, expression, cell):
        """The text of ``expression`` evaluated silently in the kernel, or None."""
        msg_id = self.kc.execute("", silent=True, store_history=False, allow_stdin=False,
                                 user_expressions={"value": expression})
        try:
            reply = run_sync(self.async_wait_for_reply)(msg_id, cell)
            return str((reply or {})["content"]["user_expressions"]["value"]["data"]["text/plain"])
        except (KeyError, TypeError, ValueError, TimeoutError):
            return None

    def _silently(self, code, cell):
        """Run ``code`` without output or history; (ename, evalue) if it raised, else None."""
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        reply = run_sync(self.async_wait_for_reply)(msg_id, cell)
        content = (reply or {}).get("content", {})
        if content.get("status") != "error":
            return None
        return content.get("ename", "Error"), content.get("evalue", "")
