"""How a forked child of a grading process ends: with its own exit code, never in the parent's code."""
import os
import sys


def run_then_exit(body, run_atexit=False):
    """Run ``body()`` in a forked child and ``os._exit``: its int result, a SystemExit's code, or 1.

    Never returns, so an error cannot send the child back into its parent's loops or cleanup.
    ``run_atexit``: also run the handlers the child itself registered (the parent's run too).
    """
    code = 1
    try:
        result = body()
        code = result if isinstance(result, int) else 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - report anything, then leave
        import traceback
        traceback.print_exc()
    finally:
        if run_atexit:
            import atexit
            atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - a closed or broken stream must not stop the exit
                pass
        os._exit(code)
