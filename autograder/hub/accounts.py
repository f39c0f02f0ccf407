"""One Unix account per person on the roster, with a home only its owner can enter.

`useradd` makes homes 0755, which would let every student read every other student's work and
the instructor's course (solutions, gradebook): homes are set to 0700 on every start. Accounts
this command made carry a marker in their comment field; an existing account without it is never
touched (the roster then names a person who already has an account here: rename one of them).
"""
import csv
import os
import pathlib
import pwd
import secrets
import subprocess

from autograder.course import ownership
from autograder.errors import GraderFault

MARKER = "task41-hub account"


class AccountConflict(GraderFault):
    """A roster name belongs to an account this command did not make."""


def ensure(people, passwords_file, log=print):
    """Create missing accounts, lock every home to its owner; return {username: password}.

    Passwords are made once per account and kept in ``passwords_file`` (root only).
    """
    passwords = read_passwords(passwords_file)
    for person in people:
        try:
            entry = pwd.getpwnam(person.username)
        except KeyError:
            subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", "--comment", MARKER,
                            person.username], check=True, capture_output=True)
            log(f"  account {person.username} ({person.role}) created")
            passwords.pop(person.username, None)
        else:
            if MARKER not in entry.pw_gecos:
                raise AccountConflict(
                    f"the roster names {person.username}, but this machine already has an account {person.username} "
                    f"that `python -m autograder hub` did not make ({entry.pw_gecos or 'no comment'}, home "
                    f"{entry.pw_dir}). Use another username in the roster.")
        if person.username not in passwords:
            passwords[person.username] = secrets.token_urlsafe(12)
            subprocess.run(["chpasswd"], input=f"{person.username}:{passwords[person.username]}\n", text=True,
                           check=True, capture_output=True)
        os.chmod(home(person.username), 0o700)
    write_passwords(passwords_file, {p.username: passwords[p.username] for p in people})
    return passwords


def read_passwords(path):
    try:
        with open(path, newline="") as handle:
            return {row["username"]: row["password"] for row in csv.DictReader(handle)}
    except FileNotFoundError:
        return {}


def write_passwords(path, passwords):
    path = pathlib.Path(path)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["username", "password"])
        writer.writerows(sorted(passwords.items()))
    os.chmod(path, 0o600)


def home(username):
    return pathlib.Path(pwd.getpwnam(username).pw_dir)


def chown_tree(path, username):
    """Give ``path`` and everything under it to ``username`` (its own group)."""
    entry = pwd.getpwnam(username)
    ownership.chown_tree(path, entry.pw_uid, entry.pw_gid)


def processes_of(usernames):
    """PIDs of every process running as one of ``usernames``."""
    uids = set()
    for name in usernames:
        try:
            uids.add(pwd.getpwnam(name).pw_uid)
        except KeyError:
            pass
    return ownership.pids(lambda entry: entry.stat().st_uid in uids)
