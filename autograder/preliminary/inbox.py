"""New submissions in nbgrader's exchange (``<exchange>/<course>/inbound/``), as the grading service sees them.

A folder counts only when it is its author's: the account that owns it is the student it is named
after (as ``OwnerCheckedCollect`` decides for collect), so nobody can spend another student's graded
submissions or be graded in their name. Its arrival is the exchange's own record (the folder's inode
change time), not the time the student's side wrote into it. Feedback goes where nbgrader's
``fetch_feedback`` looks for it: ``feedback/<md5(secret + notebook id)>.html``.
"""
import dataclasses
import datetime
import hashlib
import os
import pathlib

from nbgrader.utils import notebook_hash

from autograder.nbgrader_ext.owner_checked_collect import owner_name as owner

SECRET = "submission_secret.txt"


@dataclasses.dataclass(frozen=True)
class Arrival:
    """One submission folder of inbound/, read."""

    folder: str                      # its name: <student>+<assignment>+<timestamp>+<random>
    student: str
    assignment: str
    received: datetime.datetime      # aware (UTC): when the exchange received it
    notebook: pathlib.Path | None    # the assignment's notebook in it (None: not there)
    secret: str                      # names its feedback page
    digest: str                      # SHA-256 of the notebook's bytes ("" without one)
    refusal: str = ""                # why it is not graded ("" when it may be)


def read(folder, notebook_name, owner_of=owner):
    """The Arrival of one inbound folder; None when it is not a submission (no secret yet: still being copied)."""
    folder = pathlib.Path(folder)
    parts = folder.name.split("+")
    if len(parts) < 3 or not (folder / SECRET).is_file():
        return None
    student, assignment = parts[0], parts[1]
    received = datetime.datetime.fromtimestamp(os.lstat(folder).st_ctime, datetime.UTC)
    secret = (folder / SECRET).read_text().strip()
    notebook = folder / notebook_name
    made_by = owner_of(folder)
    refusal = ""
    if made_by != student:
        refusal = f"submitted in the name of {student} by the account {made_by}"
    elif not notebook.is_file() or notebook.is_symlink():
        refusal, notebook = f"it holds no {notebook_name}", None
    digest = hashlib.sha256(notebook.read_bytes()).hexdigest() if notebook else ""
    return Arrival(folder.name, student, assignment, received, notebook, secret, digest, refusal)


def arrivals(inbound, assignment, notebook_name, seen=frozenset(), owner_of=owner):
    """Every submission of ``assignment`` in ``inbound`` not in ``seen`` (folder names), oldest first."""
    found = []
    for entry in sorted(os.scandir(inbound), key=lambda e: e.name):
        if entry.name in seen or not entry.is_dir(follow_symlinks=False):
            continue
        if entry.name.split("+")[1:2] != [assignment]:
            continue
        arrival = read(entry.path, notebook_name, owner_of)
        if arrival is not None:
            found.append(arrival)
    return sorted(found, key=lambda a: (a.received, a.folder))


def feedback_file(feedback_dir, secret, notebook_stem):
    """Where fetch_feedback looks for the page of the notebook ``notebook_stem`` of the submission with ``secret``."""
    return pathlib.Path(feedback_dir) / f"{notebook_hash(secret=secret, notebook_id=notebook_stem)}.html"
