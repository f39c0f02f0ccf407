"""`python -m autograder hub`: the course hub on 127.0.0.1, until Ctrl-C; then everything it started stops."""
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

from autograder.course import environment, layout, ownership, roster
from autograder.course.answering import wait_until_answering
from autograder.errors import GraderFault
from autograder.hub import accounts, provision, runtime
from autograder.limits import Limits

CONFIG = pathlib.Path(__file__).with_name("jupyterhub_config.py")


class HubFailed(GraderFault):
    """The hub could not start: the message says why and where its log is."""


def user_environment(person, venv, data_dir):
    home = accounts.home(person.username)
    env = {"PATH": f"{venv}/bin:/usr/local/bin:/usr/bin:/bin",
           # the user's own settings and workspaces stay theirs whatever the configuration folder is
           "JUPYTERLAB_SETTINGS_DIR": str(home / ".jupyter" / "lab" / "user-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / ".jupyter" / "lab" / "workspaces")}
    if data_dir is not None:
        env[layout.TASK.data.env] = str(data_dir)
    env.update(environment.blas_thread_env(Limits.kernel_blas_threads))  # thirty kernels share the cores
    if person.role == "instructor":
        env["JUPYTER_CONFIG_DIR"] = str(provision.instructor_config_dir(person.username))
        env["PYTHONPATH"] = str(provision.grader_copy(person.username))  # the course's nbgrader stages
    else:
        env["JUPYTER_CONFIG_DIR"] = str(provision.STUDENT_CONFIG_DIR)
    return env


def write_instructor_server_config(instructor):
    """Formgrader is a frame of JupyterLab: allow framing by the same origin, on the instructor's server only.

    JupyterHub's single-user extension sends ``frame-ancestors 'none'`` unless a policy is configured,
    which leaves Formgrader blank (nbgrader #1870). Allowing it on every server would reopen the
    framing attack JupyterHub 4.1 closed, so students keep JupyterHub's default.
    """
    path = provision.instructor_config_dir(instructor) / "jupyter_server_config.json"
    path.write_text(json.dumps({"ServerApp": {"tornado_settings": {
        "headers": {"Content-Security-Policy": "frame-ancestors 'self'"}}}}, indent=1))
    accounts.chown_tree(path.parent, instructor)


SERVICE = "preliminary-feedback"  # the grading service's name on the hub: its page is /services/preliminary-feedback/


def grading_service(instructor, data_dir):
    """The JupyterHub-managed grading service (autograder/preliminary/service.py): it runs as root, with the
    grader's own interpreter, and watches the course's exchange."""
    environment_ = {layout.TASK.data.env: str(data_dir)} if data_dir is not None and layout.TASK.data else {}
    state = provision.STATE / "preliminary"
    state.mkdir(mode=0o700, exist_ok=True)
    return {"name": SERVICE, "url": f"http://127.0.0.1:{free_port()}", "display": True, "oauth_no_confirm": True,
            "cwd": str(state), "environment": environment_,
            "command": [sys.executable, "-m", "autograder.preliminary.service", "--assignment", str(layout.SOURCE_DIR),
                        "--config", str(provision.course_root(instructor) / "nbgrader_config.py"),
                        "--exchange", str(provision.EXCHANGE / layout.COURSE_ID), "--state", str(state),
                        # the instructor's configuration is read as the instructor, as their Formgrader reads it
                        "--config-python", str(runtime.bin_path("python")),
                        "--config-pythonpath", str(provision.grader_copy(instructor))]}


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    """A running course hub. ``Hub.start(roster_path, port)``; ``stop()`` ends every process it started."""

    def __init__(self, people, process, url, log_path):
        self.people, self.process, self.url, self.log_path = people, process, url, log_path
        self.passwords = accounts.read_passwords(provision.STATE / "passwords.csv")

    @classmethod
    def start(cls, roster_path, port=8000, log=print):
        if os.geteuid() != 0:
            raise HubFailed("the hub makes Unix accounts and starts servers as their users: run it as root "
                            "(sudo python -m autograder hub ...)")
        people = roster.read(roster_path)
        instructor = roster.the_instructor(people, roster_path)
        venv = runtime.ensure(log)
        provision.lab_overrides(venv)
        log("preparing accounts, the exchange and the course:")
        provision.STATE.mkdir(mode=0o711, parents=True, exist_ok=True)
        private = provision.STATE / "hub"  # the hub's log, database, cookie secret: root's alone
        private.mkdir(mode=0o700, exist_ok=True)
        private.chmod(0o700)
        for leftover in ("jupyterhub.log", "jupyterhub.sqlite", "jupyterhub_cookie_secret"):  # an older hub's
            if (provision.STATE / leftover).exists():
                (provision.STATE / leftover).chmod(0o600)
        accounts.ensure(people, provision.STATE / "passwords.csv", log)
        data_dir = provision.setup(instructor.username, log)
        write_instructor_server_config(instructor.username)
        settings = {"state": str(provision.STATE), "private": str(private), "port": port, "hub_port": free_port(),
                    "proxy_api_port": free_port(),
                    "proxy": str(runtime.proxy_command()), "singleuser": str(runtime.bin_path("jupyterhub-singleuser")),
                    "admins": [instructor.username],
                    "services": [grading_service(instructor.username, data_dir)],
                    # its page (the queue, waiting times, failures) is the instructor's alone
                    "roles": [{"name": "preliminary-feedback-page", "users": [instructor.username],
                               "scopes": [f"access:services!service={SERVICE}"]}],
                    "users": {p.username: {"role": p.role, "environment": user_environment(p, venv, data_dir)}
                              for p in people}}
        settings_path = private / "settings.json"
        settings_path.write_text(json.dumps(settings, indent=1))
        settings_path.chmod(0o600)
        log_path = private / "jupyterhub.log"  # it names every submission and feedback page
        env = {**os.environ, "TASK41_HUB_SETTINGS": str(settings_path),
               "PATH": f"{venv}/bin:{os.environ.get('PATH', '/usr/bin:/bin')}"}
        with open(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as log_file:
            process = subprocess.Popen([str(runtime.bin_path("jupyterhub")), "-f", str(CONFIG)], cwd=provision.STATE,
                                       env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        hub = cls(people, process, f"http://127.0.0.1:{port}", log_path)
        try:
            hub.wait_ready()
        except BaseException:
            hub.stop()
            raise
        return hub

    def wait_ready(self, seconds=90):
        wait_until_answering(self.process, f"{self.url}/hub/api/", self.log_path, seconds, "JupyterHub", HubFailed)

    def stop(self, seconds=30):
        """JupyterHub stops the servers and the proxy itself; whatever is left is killed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(seconds)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # its process group: whatever it left
        except ProcessLookupError:
            pass
        self.process.wait()
        leftovers = accounts.processes_of(p.username for p in self.people) + _proxies()
        for pid in leftovers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return leftovers


def _proxies():
    """PIDs of the hub's proxy (started with the pinned command; JupyterHub may leave it running)."""
    command = str(runtime.proxy_command()).encode()
    return ownership.pids(lambda entry: command in (entry / "cmdline").read_bytes())


def run(roster_path, port, log=print):
    """Start the hub, print how to log in, serve until Ctrl-C or SIGTERM, then stop everything."""
    hub = Hub.start(roster_path, port, log)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    log(f"\nThe course hub is at {hub.url}/ (log: {hub.log_path})")
    for person in hub.people:
        log(f"  {person.role:10} {person.username:12} {person.first_name} {person.last_name}")
    log(f"Passwords: {provision.STATE / 'passwords.csv'} (root only). Ctrl-C stops the hub and every server.")
    try:
        while not stop and hub.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    leftovers = hub.stop()
    log(f"hub stopped{f'; {len(leftovers)} leftover process(es) killed' if leftovers else ''}")
    return 0
