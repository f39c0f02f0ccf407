"""The browser tier: a real Chromium (Debian's package) driven by Playwright, servers on 127.0.0.1.

Screenshots of every step land in build/screenshots/ (the README shows some of them).
"""
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys

import pytest

from autograder.course.answering import wait_until_answering

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if pathlib.Path(str(item.fspath)).is_relative_to(pathlib.Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterServer:
    """`jupyter lab` on 127.0.0.1, a free port and a random token; stop() ends it and its kernels."""

    def __init__(self, root, log_path, env=None, args=(), user=None, bin_dir=None):
        self.root = pathlib.Path(root)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        home = pathlib.Path(__import__("pwd").getpwnam(user).pw_dir) if user else pathlib.Path(log_path).parent
        settings = home / f"lab-settings-{self.port}"  # no user settings, no news pop-up
        (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
        (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
            '{"fetchNews": "false", "checkForUpdates": false}')
        environment = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings), **(env or {})}
        demote = None
        if user is not None:  # a person's own account, as the guides say: never root, no --allow-root
            import pwd

            entry = pwd.getpwnam(user)
            environment.update(HOME=entry.pw_dir, USER=user, JUPYTER_RUNTIME_DIR=f"{entry.pw_dir}/.jupyter-runtime")
            for path in (settings, *settings.rglob("*")):
                os.chown(path, entry.pw_uid, entry.pw_gid)

            def demote():
                os.setgroups([])
                os.setgid(entry.pw_gid)
                os.setuid(entry.pw_uid)
        self.log_path = pathlib.Path(log_path)
        self.log = open(log_path, "w")
        command = [str(pathlib.Path(bin_dir or pathlib.Path(sys.executable).parent) / "jupyter"), "lab", "--no-browser",
                   *(["--allow-root"] if user is None else []),
                   "--ip=127.0.0.1", f"--port={self.port}", f"--IdentityProvider.token={self.token}",
                   "--ServerApp.port_retries=0", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
                   "jupyterlab.NeverCheckForUpdate", *args]
        self.process = subprocess.Popen(command, cwd=self.root, env=environment, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=demote)
        self._wait_ready(log_path)

    def _wait_ready(self, log_path, seconds=60):
        try:
            wait_until_answering(self.process, f"{self.url}/api/status?token={self.token}", log_path, seconds,
                                 "jupyter lab")
        except RuntimeError:
            self.stop()
            raise

    def login(self, page):
        """What a person does with the address `jupyter lab` prints: open it, type the token on its login page."""
        page.goto(self.url)
        page.fill("input[name=password]", self.token)
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_url(f"{self.url}/lab*")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def shots():
    """shot(page, name): save build/screenshots/<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def shot(page, name, **kwargs):
        page.screenshot(path=str(SHOTS / f"{name}.png"), **kwargs)
    return shot


@pytest.fixture
def jupyter_lab(tmp_path):
    """start(root, env=None, args=(), user=None): a JupyterServer stopped at the end of the test (run as ``user``)."""
    servers = []

    def start(root, env=None, args=(), user=None, bin_dir=None):
        server = JupyterServer(root, tmp_path / f"jupyter-{len(servers)}.log", env, args, user, bin_dir)
        servers.append(server)
        return server
    yield start
    for server in servers:
        server.stop()


ANSWER = "The wider network reached 95.2% but costs 2.8x the parameters; lr 0.3 is best, 3.0 collapses."


def write_class(root):
    """submitted/ for three students: alice (reference), bob (SGD leaves the bias alone), carol (blank)."""
    from autograder.course import layout, synthetic_submissions

    answers = {**synthetic_submissions.reference_answers(), "exercise_answer": ANSWER}
    bob = synthetic_submissions.mutate(answers, "sgd", "layer.b -= self.lr * layer.db", "pass")
    for student, notebook in [("alice", synthetic_submissions.build(answers)),
                              ("bob", synthetic_submissions.build(bob))]:
        synthetic_submissions.write(notebook, root / student / layout.ASSIGNMENT / f"{layout.NOTEBOOK}.ipynb")
    (root / "carol" / layout.ASSIGNMENT).mkdir(parents=True)
    shutil.copy(layout.RELEASE_NOTEBOOK, root / "carol" / layout.ASSIGNMENT)
    return root


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """The --out folder of `python -m autograder grade` on a class of three."""
    root = tmp_path_factory.mktemp("class")
    write_class(root / "submitted")
    out = root / "grading"
    roster = root / "roster.csv"
    roster.write_text("username,first_name,last_name\nalice,Alice,Zoë-Müller\nbob,Bob,O'Brien\ncarol,Carol,Ng\n",
                      encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", "task4_1", str(root / "submitted"),
                             "--out", str(out), "--workers", "2", "--roster", str(roster)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"grading the class failed:\n{result.stdout}\n{result.stderr}"
    return out
