"""The two clients of the kernel zygote (sandbox/zygote.py, the server).

``Zygote`` starts the server process for a class run and waits until it listens (the
coordinator); ``launch`` asks it for a kernel and stands in for that kernel (the sandbox
launcher, which jupyter_client started).
"""
import json
import os
import select
import signal
import socket
import sys

from autograder.course import environment, layout

MAX_MESSAGE = 1 << 20
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def launch(socket_path, argv):
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



class Zygote:
    """The zygote process, started with kernels' BLAS threads and MNIST folder."""

    def __init__(self, socket_path, threads=None, data_dir=None):
        import subprocess

        self.socket_path = str(socket_path)
        env = environment.child_env()
        env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # what ipykernel sets
        env["MPLCONFIGDIR"] = os.path.join(os.path.dirname(self.socket_path), "matplotlib")
        env.update(environment.blas_thread_env(threads))
        if data_dir:
            env["MNIST_DIR"] = str(data_dir)
        self.process = subprocess.Popen([sys.executable, "-m", "autograder.sandbox.zygote", "--socket", self.socket_path],
                                        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        cwd=str(layout.REPO), text=True)
        self._ready = None

    def wait_ready(self, timeout=120):
        """True once the zygote has preloaded and listens; False if it died or is too slow."""
        if self._ready is None:
            ready, _, _ = select.select([self.process.stdout], [], [], timeout)
            self._ready = bool(ready) and self.process.stdout.readline().strip() == "ready"
        return self._ready and self.process.poll() is None

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.process.stdout.close()
        try:
            os.unlink(self.socket_path)
        except FileNotFoundError:
            pass
