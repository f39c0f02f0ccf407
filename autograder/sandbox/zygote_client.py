"""The coordinator's handle on the kernel zygote (``sandbox.zygote``): start it, wait until it listens, stop it.

The launcher's side (ask for a kernel, stand in for it) is in ``sandbox.launcher``.
"""
import os
import select
import subprocess
import sys

from autograder.course import environment, layout
from autograder.sandbox import zygote


class Zygote:
    """The zygote process, started with kernels' BLAS threads and the assignment's data (a Dataset, read
    from ``data_dir``) preloaded."""

    def __init__(self, socket_path, threads=None, data=None, data_dir=None):
        self.socket_path = str(socket_path)
        env = environment.child_env()
        env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # what ipykernel sets
        env["MPLCONFIGDIR"] = os.path.join(os.path.dirname(self.socket_path), "matplotlib")
        env.update(environment.blas_thread_env(threads))
        if data and data_dir:
            env[data.env] = str(data_dir)
            env[zygote.PRELOAD_VARIABLE] = f"{data.loader}:{data.preload}"
        command = [sys.executable, "-m", "autograder.sandbox.zygote", "--socket", self.socket_path]
        self.process = subprocess.Popen(command,
                                        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        cwd=str(layout.REPO), text=True,
                                        start_new_session=True)  # Ctrl-C is the coordinator's to handle
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
