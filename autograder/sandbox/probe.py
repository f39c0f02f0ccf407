"""The preflight's probe: confined exactly as a kernel, the sandbox user imports what kernels need.

``grade_one.preflight`` runs ``python -m autograder.sandbox.probe`` with the kernel's sandbox
options once per worker and user; it prints ``uid N``.  A failure is the grading machine's fault.
"""
import os
import sys

from autograder.sandbox import confinement

CHECK = ("import os, numpy, ipykernel, autograder.kernel.task4_1.checks; "
         "os.listdir(os.environ['MNIST_DIR']) if os.environ.get('MNIST_DIR') else None; "
         "print('uid', os.getuid())")


def main(argv=None):
    options, _ = confinement.parse_args(sys.argv[1:] if argv is None else argv)
    _, env = confinement.confine(options)
    os.execve(sys.executable, [sys.executable, "-c", CHECK], env)


if __name__ == "__main__":
    main()
