"""What the hub and the users' servers run from: a virtual environment and Node's proxy, under /opt.

The environment is made from the system's interpreter (Debian's /usr/bin/python3), not the one
running this command: an interpreter installed in root's home (mode 0700, as pyenv does) cannot be
started by the spawned users, whose servers then fail with HTTP 500. It holds the course's pinned
runtime and JupyterHub (requirements.txt up to its class-grading section), not this repository's
grader: students must not be able to read the hidden checks.

The proxy is Node's configurable-http-proxy, JupyterHub's default. The pure-Python
configurable-http-proxy package was tried and breaks JupyterLab's kernel websocket handshake (a
console error, then a slow fallback), so it is not offered.

The environment also gets one small JupyterLab extension, built here with npm and JupyterLab's builder:
Nbgrader > Preliminary Feedback Queue (nbgrader_menu_link/), the instructors' way to the grading
service's page.
"""
import hashlib
import os
import pathlib
import shutil
import subprocess

from autograder.course import layout
from autograder.errors import GraderFault

PREFIX = pathlib.Path(os.environ.get("TASK41_HUB_RUNTIME", "/opt/task41-hub"))
SYSTEM_PYTHON = os.environ.get("TASK41_HUB_PYTHON", "/usr/bin/python3")
PROXY_PACKAGE = "configurable-http-proxy@5.3.0"
REQUIREMENTS = layout.REPO / "requirements.txt"
LAST_HUB_SECTION = "# The course hub"   # requirements.txt: every pin up to and including this section
MENU_LINK = layout.REPO / "autograder" / "hub" / "nbgrader_menu_link"
MENU_LINK_FILES = ("package.json", "index.js")


class RuntimeSetupFailed(GraderFault):
    """The environment or the proxy could not be installed: the message says what to install or fix."""


def hub_requirements(text=None):
    """The pins the users' servers need: requirements.txt from the top through the hub's section."""
    lines, in_hub = [], False
    for line in (text if text is not None else REQUIREMENTS.read_text()).splitlines():
        if line.startswith("#"):
            if in_hub:
                break
            in_hub = line.startswith(LAST_HUB_SECTION)
            continue
        if line.strip():
            lines.append(line.strip())
    return lines


def venv():
    return PREFIX / "venv"


def bin_path(name):
    return venv() / "bin" / name


def proxy_command():
    return PREFIX / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"


def _run(command, what, log):
    log(f"  {what}")
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        raise RuntimeSetupFailed(f"{what} failed (exit {done.returncode}):\n{done.stdout[-3000:]}")


def ensure(log=print):
    """Install what is missing or out of date (a stamp records the pins installed); return the venv."""
    pins = hub_requirements()
    stamp = PREFIX / "installed.sha256"
    link = [(MENU_LINK / name).read_text() for name in MENU_LINK_FILES]
    wanted = hashlib.sha256("\n".join([SYSTEM_PYTHON, PROXY_PACKAGE, *pins, *link]).encode()).hexdigest()
    if stamp.is_file() and stamp.read_text() == wanted and bin_path("jupyterhub").exists() \
            and proxy_command().exists() and menu_link_installed().is_dir():
        return venv()
    if not pathlib.Path(SYSTEM_PYTHON).exists():
        raise RuntimeSetupFailed(f"no system interpreter at {SYSTEM_PYTHON}: install Debian's python3 and "
                                 "python3-venv (apt-get install python3-venv), or set TASK41_HUB_PYTHON to an "
                                 "interpreter every user can run")
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeSetupFailed("npm is needed for JupyterHub's proxy: install Node.js and npm "
                                 "(apt-get install nodejs npm)")
    log(f"installing the hub's runtime into {PREFIX} (once; a few minutes):")
    PREFIX.mkdir(parents=True, exist_ok=True)
    PREFIX.chmod(0o755)
    if not bin_path("python").exists():
        _run([SYSTEM_PYTHON, "-m", "venv", str(venv())], f"virtual environment from {SYSTEM_PYTHON}", log)
    _run([str(bin_path("python")), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins],
         f"{len(pins)} pinned packages (JupyterHub, JupyterLab, nbgrader, numpy, ...)", log)
    _run([npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(PREFIX / "proxy"), PROXY_PACKAGE],
         f"the proxy ({PROXY_PACKAGE})", log)
    _build_menu_link(npm, log)
    subprocess.run(["chmod", "-R", "a+rX", str(PREFIX)], check=True)
    stamp.write_text(wanted)
    return venv()


def menu_link_installed():
    """Where JupyterLab finds the built extension: the environment's own labextensions folder."""
    return venv() / "share" / "jupyter" / "labextensions" / "task41-preliminary-queue-link"


def _build_menu_link(npm, log):
    work = PREFIX / "menu-link"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in MENU_LINK_FILES:
        shutil.copy(MENU_LINK / name, work / name)
    _run([npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(work)],
         "JupyterLab's extension builder (package.json's devDependencies)", log)
    staging = subprocess.run([str(bin_path("python")), "-c", "import jupyterlab, os; "
                              "print(os.path.join(os.path.dirname(jupyterlab.__file__), 'staging'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # jupyter finds its builder subcommand on PATH
    _run(["env", f"PATH={venv() / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
          str(bin_path("jupyter")), "labextension", "build", str(work), "--core-path", staging],
         "the Nbgrader menu's link to the preliminary feedback queue (a JupyterLab extension)", log)
    shutil.rmtree(menu_link_installed(), ignore_errors=True)
    shutil.copytree(work / "built", menu_link_installed())
