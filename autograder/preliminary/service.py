"""The hub's grading service: feedback a minute or two after Submit, within the instructor's limits.

It watches the course's inbound folder in nbgrader's exchange. Each new submission that is its
author's (inbox) is noted once in the ledger and then, by the instructor's policy (policy):

* graded now: queued, one grading at a time per student, on the class pool's workers through the
  same sandboxed path as the grade command (grading.session); the student's page says how many are
  ahead, then becomes the preliminary feedback;
* the same notebook as one already graded: that result again, not counted;
* over the allowance, in the quiet period, or with preliminary grading off: kept, graded after the
  due date by the instructor's collect and grade (every submission is), and the page says when the
  next graded one is possible.

A fault of the grading machine is retried and never a score: the student reads "not graded yet, no
action needed". The service writes nothing but pages into the exchange's feedback folder (and its own
state): the gradebook and the official grade stay the instructor's. Under JupyterHub it also serves
the instructor's page of the queue, waiting times and failures (instructor only, through the hub's
OAuth); ``python -m autograder.preliminary.service --help`` runs it by hand.
"""
import argparse
import datetime
import html
import json
import os
import pathlib
import shutil
import signal
import sys
import threading
import time

from autograder import assignment, late_work
from autograder.grading import intake
from autograder.preliminary import inbox, pages, policy
from autograder.preliminary.ledger import Ledger, Row, read_result, write_result
from autograder.result import Result, Status

MAX_ATTEMPTS = 5         # tries of a submission the machine keeps failing before it is left to the instructor
RETRY_SECONDS = 30.0     # the wait before a retry grows with each failed try
COUNTED = ("queued", "graded")  # states that use up one of the student's graded submissions (not "unreadable")


def utcnow():
    return datetime.datetime.now(datetime.UTC)


class Service:
    """The loop's state and steps. ``grader``: ``submit(student, notebook)`` -> a future of a Result
    (grading.session.GradingSession); ``settings``: policy.PreliminaryFeedback; ``late``: late_work.LatePolicy."""

    def __init__(self, task, exchange_course, state_dir, grader, settings, late, workers,
                 log=print, owner_of=inbox.owner):
        self.task, self.grader, self.settings, self.late, self.log = task, grader, settings, late, log
        self.workers, self.owner_of = max(1, workers), owner_of
        self.inbound = pathlib.Path(exchange_course) / "inbound"
        self.feedback_dir = pathlib.Path(exchange_course) / "feedback"
        self.state = pathlib.Path(state_dir)
        for sub in ("results", "staged"):
            (self.state / sub).mkdir(parents=True, exist_ok=True)
        self.ledger = Ledger(self.state / "ledger.sqlite")
        self.in_flight = {}      # folder -> future
        self.written = {}        # folder -> the page last written (to write only what changed)
        self.visible_parts = visible_parts(task)
        self.lock = threading.Lock()

    # ------------------------------------------------------------------ the loop

    def step(self, now=None):
        """Notice new submissions, record finished gradings, start waiting ones, refresh the queue's pages."""
        with self.lock:
            now = now or utcnow()
            self._notice()
            self._collect(now)
            self._dispatch(now)
            self._refresh_queue_pages()

    def idle(self):
        return not self.in_flight and not self.ledger.queued()

    def _notice(self):
        for arrival in inbox.arrivals(self.inbound, self.task.name, self.task.notebook, self.ledger.folders(),
                                      self.owner_of):
            row = Row(arrival.folder, arrival.student, arrival.assignment, arrival.received, arrival.digest,
                      arrival.secret, "")
            if arrival.refusal:
                row.state, row.note = "refused", arrival.refusal
                self.log(f"preliminary feedback: {arrival.folder} refused: {arrival.refusal}")
                self.ledger.add(row)
                continue
            earlier = self.ledger.of_student(arrival.student, arrival.assignment)
            same = next((r for r in reversed(earlier) if r.state == "graded" and r.digest == arrival.digest), None)
            if same is not None:
                row.state, row.note = "reused", same.folder
                self.ledger.add(row)
                self._write(row, pages.graded(self._result(same.folder), self.settings.shows, row.received,
                                              same.note, self.task.catalogue(), self.visible_parts, same.received))
                continue
            due, _ = self.late.student_due_date(self.task.name, arrival.student)
            allowed = policy.allowance(self.settings, [r.received for r in earlier if r.state in COUNTED],
                                       arrival.received, due)
            row.note = pages.allowance_line(allowed, self.settings)
            row.state = "queued" if allowed.graded else "kept"
            self.ledger.add(row)
            if not allowed.graded:
                self._write(row, pages.kept(row.received, row.note))

    def _dispatch(self, now):
        busy = {self.ledger.get(folder).student for folder in self.in_flight}
        for row in self.ledger.queued():
            if len(self.in_flight) >= self.workers:
                return
            if row.folder in self.in_flight or row.student in busy or (row.retry_at and row.retry_at > now):
                continue
            notebook = self._stage(row)
            if notebook is None:
                continue
            self.in_flight[row.folder] = self.grader.submit(row.student, notebook)
            self.ledger.update(row.folder, started=now)
            busy.add(row.student)

    def _stage(self, row):
        """A private copy to grade, checked and repaired as the grade command's intake does; a notebook that
        cannot be graded gets a page saying why (not counted) and None."""
        source = self.inbound / row.folder / self.task.notebook
        try:
            with open(source, "rb") as handle:
                data = handle.read(intake.MAX_NOTEBOOK_BYTES + 1)
        except OSError as exc:  # removed from the exchange since (the instructor cleaned it up): nothing to grade
            self.ledger.update(row.folder, state="refused", note=f"gone from the exchange ({exc.strerror})")
            return None
        try:
            data, _ = intake.gradable(self.task.notebook, data, intake.MAX_NOTEBOOK_BYTES)
        except intake.NotGradable as exc:
            self.ledger.update(row.folder, state="unreadable", note=f"{exc.status}: {exc.detail}")
            self._write(row, pages.unreadable(row.received, exc.detail))
            return None
        staged = self.state / "staged" / row.folder
        shutil.rmtree(staged, ignore_errors=True)
        staged.mkdir(mode=0o700)
        (staged / self.task.notebook).write_bytes(data)
        return staged / self.task.notebook

    def _collect(self, now):
        for folder, future in list(self.in_flight.items()):
            if not future.done():
                continue
            del self.in_flight[folder]
            row = self.ledger.get(folder)
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a broken worker is the machine's fault: retried
                result = Result.grader_error(row.student, 0.0, f"{type(exc).__name__}: {exc}")
            shutil.rmtree(self.state / "staged" / folder, ignore_errors=True)
            if result.status == Status.GRADER_ERROR:
                self._failed(row, result, now)
                continue
            write_result(self.state / "results" / f"{folder}.json", result)
            self.ledger.update(folder, state="graded", finished=now, score=result.score,
                               max_score=result.max_score, seconds=result.seconds)
            self._write(row, pages.graded(result, self.settings.shows, row.received, row.note,
                                          self.task.catalogue(), self.visible_parts))

    def _failed(self, row, result, now):
        attempts = row.attempts + 1
        last = attempts >= MAX_ATTEMPTS
        self.ledger.update(row.folder, attempts=attempts, state="failed" if last else "queued",
                           retry_at=now + datetime.timedelta(seconds=RETRY_SECONDS * attempts),
                           finished=now if last else None)
        self.log(f"preliminary feedback: {row.folder}: grading machine fault (try {attempts} of {MAX_ATTEMPTS}): "
                 f"{result.detail[:300]}")
        self._write(row, pages.not_graded_yet(row.received))

    def _refresh_queue_pages(self):
        waiting = [row for row in self.ledger.queued() if row.folder not in self.in_flight]
        for ahead, row in enumerate(waiting, start=len(self.in_flight)):
            if row.attempts:
                continue  # a retry keeps its "not graded yet" page
            self._write(row, pages.queued(row.received, ahead, row.note))
        for folder in self.in_flight:
            row = self.ledger.get(folder)
            if not row.attempts:
                self._write(row, pages.queued(row.received, 0, row.note))

    # ------------------------------------------------------------------ pages and results

    def _result(self, folder):
        return read_result(self.state / "results" / f"{folder}.json")

    def _write(self, row, page):
        """The page where fetch_feedback finds it, replaced in one step; the same page is not rewritten, and
        a page someone else wrote there (the instructor's release_feedback: the official one) is never replaced."""
        if self.written.get(row.folder) == page:
            return
        target = inbox.feedback_file(self.feedback_dir, row.secret, self.task.notebook_stem)
        stamp = self.ledger.get(row.folder).page
        if target.exists() and _stamp(target) != stamp:
            self.written[row.folder] = page
            return
        partial = target.with_name(f".{target.name}.partial")
        partial.write_text(page, encoding="utf-8")
        partial.chmod(0o644)
        owner = self.feedback_dir.stat()
        os.chown(partial, owner.st_uid, owner.st_gid)  # the instructor's release_feedback replaces it later
        partial.replace(target)
        self.ledger.update(row.folder, page=_stamp(target))
        self.written[row.folder] = page

    # ------------------------------------------------------------------ the instructor's view

    def snapshot(self, now=None):
        """What the instructor's page shows: the queue, recent gradings with their waits, failures, counts."""
        now = now or utcnow()
        rows = self.ledger.all()
        queue = [(r.student, r.received, (now - r.received).total_seconds(), r.attempts,
                  "grading" if r.folder in self.in_flight else "waiting") for r in rows if r.state == "queued"]
        graded = [(r.student, r.received, (r.finished - r.received).total_seconds(), r.score, r.max_score)
                  for r in rows if r.state == "graded" and r.finished]
        counts = {}
        for r in rows:
            counts[r.state] = counts.get(r.state, 0) + 1
        return {"queue": queue, "graded": graded[-50:], "failed": [r for r in rows if r.state == "failed"],
                "refused": [r for r in rows if r.state == "refused"], "counts": counts,
                "waits": sorted(wait for _, _, wait, _, _ in graded)}


def _stamp(path):
    found = path.stat()
    return f"{found.st_ino}:{found.st_mtime_ns}"


def visible_parts(task):
    """{grade_id: lines before its hidden tests} of the test cells with code students have (their visible checks)."""
    import nbformat

    notebook = nbformat.read(str(task.source_notebook), as_version=4)
    parts = {}
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
            if any(line.strip() and not line.lstrip().startswith("#") for line in visible.splitlines()):
                lines = visible.count("\n") + (0 if visible.endswith("\n") else 1)
                parts[cell.metadata["nbgrader"]["grade_id"]] = lines
    return parts


def percentile(values, share):
    if not values:
        return None
    return values[min(len(values) - 1, int(share * len(values)))]


def render(snapshot, title):
    """The instructor's page (escaped; no script)."""
    def table(headers, rows):
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body or '<tr><td>none</td></tr>'}</tbody></table>"

    waits = snapshot["waits"]
    median, p95 = percentile(waits, 0.5), percentile(waits, 0.95)
    summary = ", ".join(f"{n} {state}" for state, n in sorted(snapshot["counts"].items())) or "no submissions yet"
    timing = (f"submission to feedback: median {median:.0f} s, 95th percentile {p95:.0f} s over {len(waits)}"
              if waits else "no preliminary feedback written yet")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<title>Preliminary feedback: {html.escape(title)}</title></head><body style="font-family:sans-serif">
<h1>Preliminary feedback: {html.escape(title)}</h1>
<p>{html.escape(summary)}; {html.escape(timing)}.</p>
<h2>Queue ({len(snapshot['queue'])})</h2>
{table(["student", "received", "waiting (s)", "failed tries", "now"],
       [(s, pages.when(r), f"{w:.0f}", a, n) for s, r, w, a, n in snapshot['queue']])}
<h2>Failures of the grading machine ({len(snapshot['failed'])})</h2>
<p>Each was tried {MAX_ATTEMPTS} times; the student was told it is not graded yet and needs to do nothing. Your
collect and grade after the due date grade it as usual.</p>
{table(["student", "received", "folder"], [(r.student, pages.when(r.received), r.folder) for r in snapshot['failed']])}
<h2>Refused ({len(snapshot['refused'])})</h2>
{table(["folder", "why"], [(r.folder, r.note) for r in snapshot['refused']])}
<h2>Recent preliminary results</h2>
{table(["student", "received", "to feedback (s)", "points"],
       [(s, pages.when(r), f"{w:.0f}", f"{sc:g} / {mx:g}" if sc is not None else "-")
        for s, r, w, sc, mx in reversed(snapshot['graded'])])}
</body></html>
"""


READ_SETTINGS = """
import json, pathlib, sys
from traitlets.config.loader import PyFileConfigLoader
path = pathlib.Path(sys.argv[1])
config = PyFileConfigLoader(path.name, str(path.parent)).load_config()
print(json.dumps({name: dict(config[name]) for name in ("PreliminaryFeedback", "LatePolicy")}))
"""


def read_course_settings(path, python=None, pythonpath=None):
    """(PreliminaryFeedback, LatePolicy) from the course folder's nbgrader_config.py, read as nbgrader reads it
    (load_subconfig included) but by the file's owner, with ``python`` and ``pythonpath`` as their Formgrader
    has them: the instructor's file is never run as root."""
    import subprocess

    from traitlets.config import Config

    path = pathlib.Path(path)
    owner = path.stat()
    drop = {"user": owner.st_uid, "group": owner.st_gid, "extra_groups": []} if os.geteuid() == 0 else {}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           **({"PYTHONPATH": str(pythonpath)} if pythonpath else {})}
    done = subprocess.run([str(python or sys.executable), "-c", READ_SETTINGS, str(path)], capture_output=True,
                          text=True, timeout=60, cwd=str(path.parent), env=env, **drop)
    if done.returncode != 0:
        raise policy.PreliminaryPolicyError(f"{path} cannot be read: {done.stderr.strip().splitlines()[-1:]}")
    config = Config(json.loads(done.stdout))
    return policy.PreliminaryFeedback(config=config), late_work.LatePolicy(config=config)


def _serve_page(service, title, log):
    """The instructor's page under JupyterHub (its OAuth: only who holds access to this service)."""
    from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
    from jupyterhub.utils import url_path_join
    from tornado import ioloop, web

    class QueuePage(HubOAuthenticated, web.RequestHandler):
        @web.authenticated
        def get(self):
            self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
            self.write(render(service.snapshot(), title))

    prefix = os.environ["JUPYTERHUB_SERVICE_PREFIX"]
    app = web.Application([(prefix, QueuePage), (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler)],
                          cookie_secret=os.urandom(32))
    url = os.environ["JUPYTERHUB_SERVICE_URL"]
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    app.listen(port, "127.0.0.1")
    log(f"preliminary feedback: the instructor's page at {prefix}")
    ioloop.IOLoop.current().start()


def settings_of(args):
    return read_course_settings(args.config, args.config_python, args.config_pythonpath)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.preliminary.service",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", required=True, type=pathlib.Path,
                        help="the assignment's folder (its assignment.toml)")
    parser.add_argument("--config", required=True, type=pathlib.Path, help="the course folder's nbgrader_config.py")
    parser.add_argument("--exchange", required=True, type=pathlib.Path, help="the course's folder in the exchange")
    parser.add_argument("--state", required=True, type=pathlib.Path, help="the service's own folder (root's)")
    parser.add_argument("--config-python", type=pathlib.Path, help="the interpreter that reads --config "
                        "(default: this one), with --config-pythonpath on its PYTHONPATH (the grader copy it loads)")
    parser.add_argument("--config-pythonpath", type=pathlib.Path)
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between looks at the exchange")
    args = parser.parse_args(argv)
    from autograder.grading.session import GradingSession
    from autograder.limits import Limits

    def log(line):
        print(line, flush=True)

    task = assignment.load(args.assignment)
    settings, late = settings_of(args)
    args.state.mkdir(mode=0o700, parents=True, exist_ok=True)
    work = args.state / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(mode=0o711)  # sandboxed kernels traverse into their own course only
    grader = GradingSession(task, work, settings.workers, Limits(), hide=[args.exchange.parent, args.state],
                            scheduler=settings.scheduler)
    service = Service(task, args.exchange, args.state, grader, settings, late, settings.workers, log)
    log(f"preliminary feedback for {task.name}: watching {service.inbound} ({settings.workers} worker(s))")
    read_at = args.config.stat().st_mtime

    def loop():
        nonlocal read_at
        while True:
            try:
                if args.config.stat().st_mtime != read_at:  # the instructor changed a limit: from now on
                    read_at = args.config.stat().st_mtime
                    service.settings, service.late = settings_of(args)
                    log("preliminary feedback: the course's settings were read again")
                service.step()
            except Exception as exc:  # noqa: BLE001 - the loop outlives one bad look; it is logged
                log(f"preliminary feedback: step failed: {type(exc).__name__}: {exc}")
            time.sleep(args.poll)

    threading.Thread(target=loop, name="preliminary-feedback", daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # JupyterHub stops its services so: clean up
    try:
        if os.environ.get("JUPYTERHUB_SERVICE_URL"):
            _serve_page(service, task.title, log)
        else:
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        grader.close()
        log("preliminary feedback: stopped; what is queued is graded when it starts again")


if __name__ == "__main__":
    main()
