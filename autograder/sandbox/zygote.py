"""A preloaded parent for sandboxed kernels: numpy, ipykernel and the assignment's data loaded once per class.

Each kernel used to spend ~1.5 s of CPU before the first cell: a fresh interpreter,
ipykernel's and numpy's imports, the data files parsed into arrays (MNIST's, for Task 4.1). A zygote
pays that once (``grading.class_run`` starts one per class run) and forks a kernel per submission.
jupyter_client still starts ``autograder.sandbox.launcher`` (the kernel spec only gains ``--zygote SOCKET``); that
launcher, instead of exec'ing ipykernel, asks the zygote for a kernel and stands in
for it::

    launcher --request + its fds 0-2-->  zygote --fork--> monitor --fork--> kernel
    launcher <--kernel pid, later its exit code-- monitor

The kernel child takes the same sandbox steps as the exec path (mounts, limits,
user; ``confinement.confine``), then runs ipykernel in-process. The launcher
forwards the signals jupyter_client sends it (interrupt, terminate) to the kernel;
if the launcher is killed, the monitor sees its connection close and kills the
kernel. The zygote runs no student code and every kernel is a fresh fork of it, so
nothing one submission does reaches the next.

Only used when grading runs as root (kernels as sandbox users); a launcher that
cannot reach its zygote falls back to exec'ing ipykernel.
"""
import argparse
import json
import os
import select
import signal
import socket
import sys

from autograder.course import forked

# What every kernel imports anyway: ipykernel itself, numpy, the modules the integrity
# snapshot watches and tqdm (the notebook's progress bars).  Never autograder.kernel.integrity:
# it must record the kernel as the kernel starts, not the zygote.  Nor matplotlib's inline
# backend: it hooks into the IPython shell it finds when imported.  pyplot builds its font
# list in the zygote's MPLCONFIGDIR, which kernels never need to see afterwards.
PRELOAD = ("numpy", "numpy.linalg", "numpy.random", "numpy.testing", "IPython", "ipykernel.kernelapp",
           "ipykernel.ipkernel", "ipykernel.zmqshell", "tqdm.auto", "matplotlib", "matplotlib.pyplot")
PR_SET_PDEATHSIG = 1
PRELOAD_VARIABLE = "GRADER_PRELOAD"  # "<loader file>:<function>" (zygote_client sets it from the Dataset)
MAX_MESSAGE = 1 << 20  # a request: argv, cwd and environment of the launcher


def preload():
    """Import PRELOAD and, if PRELOAD_VARIABLE names a loader's function, read the data into its cache."""
    import gc
    import importlib

    from autograder.dataset import load_module

    for name in PRELOAD:
        importlib.import_module(name)
    if os.environ.get(PRELOAD_VARIABLE):
        path, function = os.environ[PRELOAD_VARIABLE].rsplit(":", 1)
        loader = load_module(path)
        getattr(loader, function)(None, download=False, verbose=False)  # the folder: from its variable
        # the notebook's `from <loader> import ...` then finds the arrays in the loader's cache
        sys.modules[loader.__name__] = loader
    gc.collect()
    gc.freeze()  # kernels' collections skip these objects, so their pages stay shared


def serve(socket_path, ready=sys.stdout):
    """Accept kernel requests on ``socket_path`` until killed; one monitor process per request."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    old_umask = os.umask(0o177)  # the socket is the grader's only
    try:
        listener.bind(socket_path)
    finally:
        os.umask(old_umask)
    listener.listen(16)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors are reaped by the system
    print("ready", file=ready, flush=True)
    os.dup2(2, 1)  # nobody reads the pipe after this line
    while True:
        connection, _ = listener.accept()
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            forked.run_then_exit(lambda connection=connection: _monitor(connection))  # never back into the accept loop
        connection.close()


def _monitor(connection):
    """Fork the kernel for one request, tell the launcher its pid, then its exit code."""
    data, fds, _, _ = socket.recv_fds(connection, MAX_MESSAGE, 3)
    if len(fds) != 3 or not data:
        return 1
    request = json.loads(data)
    kernel = os.fork()
    if kernel == 0:
        forked.run_then_exit(lambda: _become_kernel(request, fds), run_atexit=True)
    for fd in fds:
        os.close(fd)
    connection.send(json.dumps({"pid": kernel}).encode())
    try:
        watched, poll_every = [connection, os.pidfd_open(kernel)], None
    except (AttributeError, OSError):  # Linux < 5.3: poll for the kernel's exit instead
        watched, poll_every = [connection], 0.2
    while True:
        ready, _, _ = select.select(watched, [], [], poll_every)
        done, status = os.waitpid(kernel, os.WNOHANG)
        if done:
            try:
                connection.send(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode())
            except OSError:
                pass
            return 0
        if connection in ready and not connection.recv(64):  # the launcher is gone (killed): so is its kernel
            os.kill(kernel, signal.SIGKILL)
            os.waitpid(kernel, 0)
            return 0


def _become_kernel(request, fds):
    """In the kernel child: the launcher's stdio, cwd and environment, then the launcher's steps."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # the zygote's socket and the monitor's connection
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["environ"])
    from autograder.sandbox import confinement

    options, kernel_args = confinement.parse_args(request["argv"])
    connection, env = confinement.confine(options)
    return _run_kernel_here(connection, kernel_args, env)


def _run_kernel_here(connection, kernel_args, env):
    """What ``python -m ipykernel_launcher -f CONNECTION`` would do, in this (already confined) process."""
    os.environ.clear()
    os.environ.update(env)
    sys.path[0] = os.getcwd()  # as for `python -m`: the notebook's folder first
    sys.argv = [sys.executable, "-f", str(connection), *kernel_args]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance(argv=sys.argv[1:])
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.sandbox.zygote", description=__doc__.split("\n")[0])
    parser.add_argument("--socket", required=True, help="unix socket path to listen on")
    options = parser.parse_args(argv)
    try:
        import ctypes
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # dies with its worker
    except (OSError, AttributeError):
        pass
    preload()
    serve(options.socket)


if __name__ == "__main__":
    main()
