"""A throw-away PostgreSQL server on 127.0.0.1 for tests; it can be stopped and started again."""
import glob
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile

import pytest


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin(name):
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    if not found:
        pytest.fail(f"PostgreSQL's {name} is not installed (.ci/run installs the Debian package postgresql)")
    return found


class PostgresServer:
    """initdb in a fresh folder, run as the postgres user when we are root; database ``gradebook``."""

    def __init__(self):
        self.data = pathlib.Path(tempfile.mkdtemp(prefix="task41-pg-"))  # pytest's tmp is closed to other users
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.data, "postgres")
        self.port = free_port()
        self.url = f"postgresql://grader@127.0.0.1:{self.port}/gradebook"
        subprocess.run([*self.as_user, postgres_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "grader"],
                       check=True, capture_output=True)
        self.start()
        subprocess.run([*self.as_user, postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                        "-U", "grader", "gradebook"], check=True, capture_output=True)

    def start(self):
        subprocess.run([*self.as_user, postgres_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.data / "log"),
                        "-w", "start", "-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"],
                       check=True, capture_output=True)

    def stop(self):
        subprocess.run([*self.as_user, postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                       capture_output=True)

    def remove(self):
        self.stop()
        shutil.rmtree(self.data, ignore_errors=True)
