"""Every submission the grading service has seen and what became of it: one SQLite file, root's.

It survives restarts of the service and of the hub: a submission noticed once is never noticed
twice, one queued when the service stopped is queued again when it starts, and the rate limits
count what was graded before. States:

* ``queued``: waiting for a worker (also a grader fault's retry);
* ``graded``: preliminary feedback written; counts against the allowance;
* ``reused``: the same notebook as an earlier graded one of the student: its feedback again, not counted;
* ``kept``: over the allowance, in the quiet period, or preliminary grading off: graded at the deadline;
* ``refused``: not its author's, without the notebook, or gone from the exchange before its turn: never
  graded here (collect refuses the first two too);
* ``unreadable``: a notebook the grade command's intake would not grade either (not JSON, too large, ...):
  the page says why; not counted;
* ``failed``: the machine failed it every time it was tried: the instructor sees it; the student is told
  it is not graded yet and needs to do nothing.
"""
import contextlib
import dataclasses
import datetime
import pathlib
import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    folder TEXT PRIMARY KEY, student TEXT NOT NULL, assignment TEXT NOT NULL,
    received TEXT NOT NULL, digest TEXT NOT NULL, secret TEXT NOT NULL,
    state TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0, retry_at TEXT NOT NULL DEFAULT '',
    started TEXT NOT NULL DEFAULT '', finished TEXT NOT NULL DEFAULT '',
    score REAL, max_score REAL, seconds REAL NOT NULL DEFAULT 0,
    page TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS by_student ON submissions (student, assignment, state);
"""
TIMES = ("received", "retry_at", "started", "finished")


@dataclasses.dataclass
class Row:
    folder: str
    student: str
    assignment: str
    received: datetime.datetime
    digest: str
    secret: str
    state: str
    note: str = ""
    attempts: int = 0
    retry_at: datetime.datetime | None = None
    started: datetime.datetime | None = None
    finished: datetime.datetime | None = None
    score: float | None = None
    max_score: float | None = None
    seconds: float = 0.0
    page: str = ""        # "<inode>:<mtime ns>" of the page last written: another writer's page is left alone


def _time(text):
    return datetime.datetime.fromisoformat(text) if text else None


def _text(moment):
    return moment.isoformat() if moment else ""


class Ledger:
    def __init__(self, path):
        self.connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.executescript(SCHEMA)

    def close(self):
        self.connection.close()

    @contextlib.contextmanager
    def _transaction(self):
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def _rows(self, where="", *args):
        cursor = self.connection.execute(f"SELECT * FROM submissions {where}", args)
        names = [column[0] for column in cursor.description]
        rows = []
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            for key in TIMES:
                row[key] = _time(row[key])
            rows.append(Row(**row))
        return rows

    def folders(self):
        return {folder for (folder,) in self.connection.execute("SELECT folder FROM submissions")}

    def add(self, row):
        with self._transaction():
            self.connection.execute(
                "INSERT INTO submissions (folder, student, assignment, received, digest, secret, state, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (row.folder, row.student, row.assignment, _text(row.received), row.digest, row.secret,
                 row.state, row.note))

    def update(self, folder, **fields):
        values = {key: _text(value) if isinstance(value, datetime.datetime) or key in TIMES else value
                  for key, value in fields.items()}
        with self._transaction():
            self.connection.execute(f"UPDATE submissions SET {', '.join(f'{k} = ?' for k in values)} WHERE folder = ?",
                                    (*values.values(), folder))

    def get(self, folder):
        rows = self._rows("WHERE folder = ?", folder)
        return rows[0] if rows else None

    def of_student(self, student, assignment):
        return self._rows("WHERE student = ? AND assignment = ? ORDER BY received, folder", student, assignment)

    def queued(self):
        """Waiting submissions, oldest first (the order they are graded in)."""
        return self._rows("WHERE state = 'queued' ORDER BY received, folder")

    def all(self):
        return self._rows("ORDER BY received, folder")


def graded_before(state_dir, assignment):
    """For the grade command (--preliminary): (student id, notebook SHA-256) -> the Result the grading service
    gave that student's identical notebook of ``assignment``, or None. Only a graded one counts: a fault of
    the machine, a notebook it could not read or one it never graded is graded by the grade command."""
    state_dir, graded = pathlib.Path(state_dir), {}
    if (state_dir / "ledger.sqlite").is_file():
        ledger = Ledger(state_dir / "ledger.sqlite")
        try:
            graded = {(r.student, r.digest): r.folder for r in ledger.all()  # the newest wins (oldest first)
                      if r.state == "graded" and r.assignment == assignment and r.digest}
        finally:
            ledger.close()

    def find(student, digest):
        folder = graded.get((student, digest))
        path = state_dir / "results" / f"{folder}.json" if folder else None
        if path is None or not path.is_file():
            return None
        result = read_result(path)
        return result if result.scored else None

    return find


PAGES = ("feedback_html", "autograded_notebook")  # kept with the result: the grade command records both


def write_result(path, result):
    """A graded Result as JSON, with its feedback page and autograded notebook."""
    import json

    pathlib.Path(path).write_text(json.dumps({**result.to_json(), **{key: getattr(result, key) for key in PAGES}}))


def read_result(path):
    import json

    from autograder.result import Result

    data = json.loads(pathlib.Path(path).read_text())
    pages = {key: data.pop(key, "") for key in PAGES}
    result = Result.from_json(data)
    for key, value in pages.items():
        setattr(result, key, value)
    return result
