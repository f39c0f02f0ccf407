"""The hub tier: `python -m autograder hub` started for real (root, Unix accounts, Node's proxy).

The hub of these tests has its own state, exchange and accounts (t41-*), made fresh each session,
so it never meets an instructor's hub on the same machine.
"""
import csv
import json
import os
import pathlib
import pwd
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.postgres import free_port

ROOT = pathlib.Path(__file__).resolve().parents[2]
STATE = pathlib.Path("/srv/task41-hub-test")
ROSTER = [("t41-teacher", "Grace", "Hopper", "instructor"),
          ("t41-alice", "Zoë", "D'Arcy", "student"),
          ("t41-bob", "Bob", "Okonkwo-Müller", "student")]
TEACHER, ALICE, BOB = (row[0] for row in ROSTER)


def pytest_collection_modifyitems(items):
    for item in items:
        if pathlib.Path(str(item.fspath)).is_relative_to(pathlib.Path(__file__).parent):
            item.add_marker(pytest.mark.hub)


def hub_env():
    return {**os.environ, "TASK41_HUB_STATE": str(STATE), "TASK41_HUB_EXCHANGE": str(STATE / "exchange")}


def remove_test_accounts():
    for username, *_ in ROSTER:
        try:
            entry = pwd.getpwnam(username)
        except KeyError:
            continue
        assert "task41-hub account" in entry.pw_gecos, f"{username} exists and is not a test account: not removing it"
        subprocess.run(["pkill", "-KILL", "-u", username], check=False)
        subprocess.run(["userdel", "--remove", username], check=False, capture_output=True)


class RunningHub:
    """`python -m autograder hub` in a child process; ``stop()`` sends SIGTERM as Ctrl-C's twin."""

    def __init__(self, roster_path, port, log_path):
        self.roster_path = roster_path
        self.port, self.url, self.log_path = port, f"http://127.0.0.1:{port}", log_path
        self.start()

    def restart(self):
        self.stop()
        self.start()

    def start(self):
        log_path, roster_path, port = self.log_path, self.roster_path, self.port
        self.log = open(log_path, "w")
        self.process = subprocess.Popen([sys.executable, "-m", "autograder", "hub", "--roster", str(roster_path),
                                         "--port", str(port)], cwd=ROOT, env=hub_env(), stdout=self.log,
                                        stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 900  # the first start installs the hub's runtime
        while "The course hub is at" not in log_path.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the hub did not start:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.5)
        self.settings = json.loads((STATE / "hub" / "settings.json").read_text())
        with open(STATE / "passwords.csv", newline="") as handle:
            self.passwords = {row["username"]: row["password"] for row in csv.DictReader(handle)}

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(90)
        self.log.close()
        return self.log_path.read_text()

    def run_as(self, username, command, cwd=None, check=True):
        """``command`` (a shell line) as ``username``, with the environment the hub gives that user's server."""
        env = self.settings["users"][username]["environment"]
        home = pwd.getpwnam(username).pw_dir
        assignments = [f"{key}={value}" for key, value in {"HOME": home, "USER": username, **env}.items()]
        done = subprocess.run(["runuser", "-u", username, "--", "env", "-i", *assignments, "bash", "-c",
                               f"cd {cwd or home} && {command}"], cwd="/", capture_output=True, text=True,
                              timeout=300)
        if check:
            assert done.returncode == 0, f"{username}: {command}\n{done.stdout}\n{done.stderr}"
        return done


def write_roster(path):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["username", "first_name", "last_name", "role"])
        writer.writerows(ROSTER)
    return path


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A fresh hub per test module: new accounts, state and exchange."""
    if os.geteuid() != 0:
        pytest.fail("the hub tier needs root: it makes Unix accounts and starts servers as their users")
    remove_test_accounts()
    shutil.rmtree(STATE, ignore_errors=True)
    folder = tmp_path_factory.mktemp("hub")
    running = RunningHub(write_roster(folder / "roster.csv"), free_port(), folder / "hub.log")
    yield running
    running.stop()


def course_root():
    return pathlib.Path(pwd.getpwnam(TEACHER).pw_dir) / "dl-module4"


def inbound():
    return STATE / "exchange" / "dl-module4" / "inbound"


def submissions_of(name):
    """Names in the inbound folder submitted in ``name``'s name (root can list it)."""
    return sorted(p.name for p in inbound().iterdir() if re.match(re.escape(name) + r"\+", p.name))
