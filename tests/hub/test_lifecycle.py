"""Starting the hub twice keeps everything; stopping it (Ctrl-C's SIGTERM) stops every process it started."""
import socket
import stat

from autograder.course import ownership
from autograder.hub import accounts, provision
from tests.hub.conftest import ROSTER, STATE, TEACHER, course_root, inbound
from tests.hub.test_isolation import login, status


def test_a_restart_keeps_accounts_passwords_and_the_course(hub):
    passwords = dict(hub.passwords)
    (course_root() / "nbgrader_config.py").write_text((course_root() / "nbgrader_config.py").read_text() + "# mine\n")
    hub.restart()  # the same command again
    assert hub.passwords == passwords
    assert (course_root() / "nbgrader_config.py").read_text().endswith("# mine\n"), "the instructor's edit was lost"
    assert stat.S_IMODE(inbound().stat().st_mode) == provision.INBOUND_MODE & 0o7777


def test_stopping_the_hub_stops_every_process_it_started(hub):
    for username in (TEACHER, ROSTER[1][0]):
        assert status(login(hub, username), f"{hub.url}/user/{username}/lab") == 200
    users = [row[0] for row in ROSTER]
    assert accounts.processes_of(users), "the servers should be running before the hub stops"
    hub.stop()
    assert not accounts.processes_of(users), "a user's process outlived the hub"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", hub.port)) != 0, "the proxy still listens"
    assert not list(_running_in(STATE)), "a hub process outlived the hub"


def _running_in(folder):
    """PIDs of processes whose working directory is ``folder`` (JupyterHub runs in its state folder)."""
    import os

    return ownership.pids(lambda entry: os.readlink(entry / "cwd") == str(folder))
