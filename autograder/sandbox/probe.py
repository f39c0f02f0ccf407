"""The preflight's probe: confined exactly as a kernel, the sandbox user imports what kernels need.

``grade_one.probe_sandbox`` runs ``python -m autograder.sandbox.probe`` with the kernel's sandbox
options once per worker, user and assignment; after ``--imports`` come the modules the
assignment's test cells import (its checks). It prints ``uid N``.  A failure is the grading machine's fault.
"""
import os
import sys

from autograder.sandbox import confinement


def check(modules, data_env=()):
    """The probe's code: import what every kernel needs and ``modules``, list the folders the ``data_env``
    variables name, print the uid."""
    listings = "".join(f"os.listdir(os.environ[{name!r}]) if os.environ.get({name!r}) else None; "
                       for name in data_env)
    return (f"import {', '.join(['os', 'numpy', 'ipykernel', 'autograder.kernel.integrity', *modules])}; "
            f"{listings}print('uid', os.getuid())")


def main(argv=None):
    argv, modules = list(sys.argv[1:] if argv is None else argv), []
    if "--imports" in argv:
        at = argv.index("--imports")
        argv, modules = argv[:at], argv[at + 1:]
    options, _ = confinement.parse_args(argv)
    _, env = confinement.confine(options)
    os.execve(sys.executable, [sys.executable, "-c", check(modules, options.data_env)], env)


if __name__ == "__main__":
    main()
