"""The machine's side of the sandbox: sandbox users, the slots that keep two gradings off one user,
and killing what a grading left running.

A grading in slot N runs student code as ``task41-sbx<N>`` and kills every process of that user
afterwards, so a slot is locked (a file lock) while a grading uses it.
"""
import contextlib
import fcntl
import os
import pathlib
import pwd
import signal
import subprocess
import tempfile
import time

USER_PREFIX = "task41-sbx"
TOKEN_VARIABLE = "TASK41_SANDBOX_TOKEN"  # marks every process of one grading (found in /proc/<pid>/environ)
MAX_SLOTS = 64


def sandbox_user(slot):
    """pwd entry of ``task41-sbx<slot>``, created (system user, no home, no shell) if missing."""
    if not isinstance(slot, int) or slot < 0:
        raise ValueError(f"slot must be a non-negative int, got {slot!r}")
    name = f"{USER_PREFIX}{slot}"
    error = ""
    for attempt in range(10):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
        # workers may create their users at the same time: useradd then fails on the lock
        result = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                                capture_output=True, text=True)
        error = result.stderr.strip()
        if result.returncode != 0:
            time.sleep(0.1 * (attempt + 1))
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise RuntimeError(f"cannot create sandbox user {name}: {error}") from None


def live_processes(uid=None, token=None):
    """Pids of live (not zombie) processes with ``uid`` among their ids, or ``token`` in their environment."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            status = pathlib.Path(f"/proc/{entry}/status").read_text()
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if fields.get("State", "").split()[:1] in (["Z"], ["X"]):
                continue  # already dead, waiting for its parent
            if uid is not None and str(uid) in fields.get("Uid", "").split():
                found.append(int(entry))
            elif token is not None and f"{TOKEN_VARIABLE}={token}".encode() in \
                    pathlib.Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                found.append(int(entry))
        except (OSError, ValueError):
            pass  # exited meanwhile, or not ours to read
    return found


def kill_processes(uid=None, token=None, patience=10.0):
    """SIGKILL every live process selected as in live_processes until none is left; True if none is."""
    deadline = time.monotonic() + patience
    while True:
        pids = live_processes(uid, token)
        if not pids:
            return True
        if time.monotonic() > deadline:
            return False
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


@contextlib.contextmanager
def claimed_slot(preferred):
    """Lock a sandbox slot so no two gradings on this machine share its user at once.

    Every grading kills all processes of its slot's user, so a shared slot would kill
    the other grading's kernel (two class runs, or a run beside the tests).  Tries the
    preferred slot first, then the others.
    """
    for slot in [preferred, *(s for s in range(MAX_SLOTS) if s != preferred)]:
        handle = open(pathlib.Path(tempfile.gettempdir()) / f"{USER_PREFIX}{slot}.lock", "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        try:
            yield slot
        finally:
            handle.close()  # releases the lock
        return
    raise RuntimeError(f"all {MAX_SLOTS} sandbox slots are busy")
