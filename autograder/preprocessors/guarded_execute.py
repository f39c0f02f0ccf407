"""Autograde stage: nbgrader's Execute, for notebooks that may be hostile or may crash.

Added to plain Execute (configured in nbgrader_config.py in its place):

* before the first cell, the kernel imports ``autograder.integrity`` (a record of numpy,
  builtins and IPython as they are before any student code); before each graded test
  cell it verifies them, and a notebook that replaced one fails that test with a
  message naming the replacement (the test itself is not run);
* when the kernel dies (``os._exit``, a crash, a memory or process limit) or stops
  answering (its output channel times out), the cell where that happened and every
  graded cell after it fail with an explanation, and the notebook is still graded:
  points earned before stay.  Plain Execute raises, and nbgrader grades nothing.
"""
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import Bool

RECORD = "__import__('autograder.integrity')"
VERIFY = "__import__('sys').modules['autograder.integrity'].verify(globals())"


def integrity_message(ename, evalue):
    if ename == "IntegrityError":
        return evalue
    return (f"the grader's integrity check could not run ({ename}: {evalue}): code in the notebook changed "
            "the kernel's modules")


def error_output(ename, evalue):
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class GuardedExecute(Execute):

    check_integrity = Bool(True, help="verify numpy, builtins and IPython before each graded test cell").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._dead_after = None   # where the kernel died, once it has
        self._recorded = False
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return super().preprocess_cell(cell, resources, index)
        if self._dead_after is not None:
            if utils.is_grade(cell):
                cell.outputs = [error_output("KernelDied", f"not run: the kernel died in {self._dead_after}, "
                                                           "before this cell")]
            return cell, resources
        try:
            if self.check_integrity and not self._recorded:  # before the first code cell: no student code yet
                failure = self._silently(RECORD, cell)
                if failure:
                    raise RuntimeError(f"the grading kernel cannot import autograder.integrity ({': '.join(failure)}); "
                                       "install this repository in the kernel's environment (pip install -e .)")
                self._recorded = True
            elif self.check_integrity and utils.is_grade(cell):
                failure = self._silently(VERIFY, cell)
                if failure:
                    cell.outputs = [error_output("IntegrityError", integrity_message(*failure))]
                    return cell, resources
            return super().preprocess_cell(cell, resources, index)
        except (DeadKernelError, CellTimeoutError, TimeoutError) as exc:
            # an interrupted slow cell is handled by Execute itself; this is a kernel that is gone or mute
            where = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
            self._dead_after = where
            self.log.warning("kernel lost in %s (%s); later graded cells fail, earlier points stay",
                             where, type(exc).__name__)
            how = "died" if isinstance(exc, DeadKernelError) else "stopped answering"
            cell.outputs.append(error_output("DeadKernelError", f"the kernel {how} while running this cell "
                                             "(os._exit, exit(), a crash, broken builtins, or a memory or "
                                             "process limit); the cells after it were not run"))
            return cell, resources

    def _silently(self, code, cell):
        """Run ``code`` without output or history; (ename, evalue) if it raised, else None."""
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        reply = run_sync(self.async_wait_for_reply)(msg_id, cell)
        content = (reply or {}).get("content", {})
        if content.get("status") != "error":
            return None
        return content.get("ename", "Error"), content.get("evalue", "")
