"""The kernel process jupyter_client starts (from the kernel spec ``grading.grade_one`` writes).

Run as root in place of ``ipykernel_launcher``: it confines itself (``confinement.confine``:
scratch, mount and network namespaces, limits, the sandbox user) and ``exec``s
``python -m ipykernel_launcher -f <copy of the connection file>``.  The exec keeps the
process id, so jupyter_client still signals and kills the real kernel.

With ``--zygote SOCKET`` it asks the kernel zygote (``sandbox.zygote``) for a kernel
instead and stands in for it (``stand_in``); it confines and execs itself only when no
zygote answers.
"""
import json
import os
import signal
import socket
import sys

from autograder.sandbox import confinement
from autograder.sandbox.zygote import MAX_MESSAGE

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def stand_in(socket_path, argv):
    """Start a kernel through the zygote and stand in for it; its exit code, or None if no zygote answered."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        connection.connect(socket_path)
        request = {"argv": argv, "cwd": os.getcwd(), "environ": dict(os.environ)}
        socket.send_fds(connection, [json.dumps(request).encode()], [0, 1, 2])
        reply = connection.recv(MAX_MESSAGE)
    except OSError:
        connection.close()
        return None
    if not reply:
        return None
    kernel = json.loads(reply)["pid"]

    def forward(signum, _frame):
        try:
            os.kill(kernel, signum)
        except ProcessLookupError:
            pass

    for signum in FORWARDED_SIGNALS:
        signal.signal(signum, forward)
    reply = connection.recv(MAX_MESSAGE)  # blocks until the kernel exits
    code = json.loads(reply)["exit"] if reply else 1
    return code if code >= 0 else 128 - code


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    options, kernel_args = confinement.parse_args(argv)
    if options.zygote:
        code = stand_in(options.zygote, argv)
        if code is not None:
            sys.exit(code)
        print(f"sandbox launcher: no kernel zygote at {options.zygote}; starting the kernel directly", file=sys.stderr)
    connection, env = confinement.confine(options)
    os.execve(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f", str(connection), *kernel_args], env)


if __name__ == "__main__":
    main()
