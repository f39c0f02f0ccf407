"""Inside the grading kernel: notice when a notebook replaced what the tests rely on.

The grader's Execute stage (``autograder.nbgrader_ext.GuardedExecute``) imports
this module in the kernel before the notebook's first cell, which records the
functions of numpy, builtins, importlib and IPython's shell as they are before any
student code.  Before every graded test cell it calls ``verify(globals())``: if
``np.allclose`` became a lambda, ``np`` names something other than numpy, or
IPython was told to swallow exceptions, the test cell fails with a message naming
what was replaced.

This runs in the student's own process, so a student who studies the grader can
still defeat it; it stops the tricks that work without knowing it (see docs/grading.md,
threat model).
"""
import builtins
import importlib
import math
import sys

import numpy
import numpy.linalg
import numpy.random
import numpy.testing

from autograder.kernel.cell_errors import IntegrityError

WATCHED = {"numpy": numpy, "numpy.random": numpy.random, "numpy.testing": numpy.testing,
           "numpy.linalg": numpy.linalg, "builtins": builtins, "math": math, "importlib": importlib}
# Shell methods that decide whether an exception is shown (and so whether a test cell fails).
SHELL_METHODS = ("run_cell", "run_cell_async", "run_code", "run_ast_nodes", "showtraceback", "_showtraceback",
                 "showsyntaxerror", "set_custom_exc")


# Rebound by ipykernel itself for every cell it runs.
KERNEL_REBINDS = {"builtins": {"input", "raw_input"}}


def _snapshot(name, module):
    """Public attributes (IPython rebinds builtins._ after every cell)."""
    skip = KERNEL_REBINDS.get(name, set())
    return {attr: value for attr, value in vars(module).items() if not attr.startswith("_") and attr not in skip}


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


_MISSING = object()
ORIGINAL = {name: _snapshot(name, module) for name, module in WATCHED.items()}
SHELL = _shell()
SHELL_ORIGINAL = {name: (getattr(type(SHELL), name, None), vars(SHELL).get(name)) for name in SHELL_METHODS} \
    if SHELL else {}


def problems(namespace=None):
    """Descriptions of everything replaced since this module was imported (empty: all intact)."""
    found = []
    for name, module in WATCHED.items():
        if sys.modules.get(name) is not module:
            found.append(f"sys.modules[{name!r}] was replaced")
        current = vars(module)
        for attr, original in ORIGINAL[name].items():
            if current.get(attr, _MISSING) is not original:
                label = f"builtin {attr}" if name == "builtins" else f"{name}.{attr}".replace("numpy", "np", 1)
                found.append(f"{label} was replaced or deleted")
    if namespace is not None and "np" in namespace and namespace["np"] is not numpy:
        found.append("the name np no longer refers to numpy")
    if SHELL is not None:
        if SHELL.custom_exceptions:
            found.append("IPython was told to handle exceptions itself (set_custom_exc)")
        for method, (on_class, on_instance) in SHELL_ORIGINAL.items():
            if getattr(type(SHELL), method, None) is not on_class or vars(SHELL).get(method) is not on_instance:
                found.append(f"IPython's {method} was replaced")
    return found


def verify(namespace=None):
    """Raise IntegrityError naming what the notebook replaced, if anything."""
    found = problems(namespace)
    if found:
        shown = "; ".join(found[:5]) + (f"; and {len(found) - 5} more" if len(found) > 5 else "")
        raise IntegrityError(f"this test cannot be trusted: code in the notebook changed what the tests rely on "
                             f"({shown}). Remove that code and run the notebook again.")
