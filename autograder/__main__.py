"""Command line: python -m autograder {grade,publish,demo,hub,release,check-release}."""
import argparse
import gc
import os
import pathlib
import sys

from autograder.course import nbformat_speedup

nbformat_speedup.skip_iri_format_parser()  # before nbformat is imported

# after the speed-up above: these import nbformat
from autograder.course import layout, release  # noqa: E402 - after skip_iri_format_parser
from autograder.errors import GraderFault, UserError, WorkIncomplete  # noqa: E402 - after skip_iri_format_parser
from autograder.limits import Limits  # noqa: E402 - after skip_iri_format_parser

# Exit codes of `grade` and `demo`
REFUSED = 2      # bad arguments, unreadable SUBMISSIONS, or a machine that cannot grade: nothing graded
INCOMPLETE = 3   # some rows are grader errors, or the output folder filled up: rerun after the fix
INTERRUPTED = 130  # Ctrl-C: what was graded is saved; the same command grades the rest
EXIT_CODES = ("exit codes: 0 done; 2 nothing was done (bad arguments, unreadable input, a machine that "
              "cannot grade); 3 incomplete (grader-error rows or a full disk: fix the cause, run the same "
              "command again, only what is missing is done); 130 interrupted (Ctrl-C: what was saved stays)")
# Every error the grader defines is a UserError or a GraderFault (autograder/errors.py): the first row that
# matches gives the exit code, after "error: <the sentence>" on stderr.
ERROR_EXIT_CODES = (
    (WorkIncomplete, INCOMPLETE),
    (UserError, REFUSED),
    (GraderFault, REFUSED),
)


def exit_code_of(error):
    return next(code for family, code in ERROR_EXIT_CODES if isinstance(error, family))


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number: give 1 or more")
    return value


def memory_cap(text):
    """GB of memory for student code; "none" for no cap (0 is refused: it read as "no memory at all")."""
    if text.strip().lower() == "none":
        return 0.0
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of GB (or 'none' for no cap)") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} GB cannot hold a kernel: give a positive number of GB, or "
                                         "'none' to grade without a memory cap")
    return value


def assignment_named(text):
    """The Assignment ASSIGNMENT names: an assignment of this course's source/, or a folder with an assignment.toml."""
    from autograder import assignment

    course = assignment.graded_in(layout.SOURCE_ROOT)
    if text in course:
        return course[text]
    folder = pathlib.Path(text)
    if (folder / assignment.FILE).is_file():
        return assignment.load(folder.resolve())
    raise UserError(f"unknown assignment {text!r}: this course has {', '.join(sorted(course))}; or give the folder "
                    f"of an assignment (its {assignment.FILE} describes it: docs/instructor.md)")


def preliminary_results(folder, task):
    """What the hub's grading service graded (grade --preliminary), looked up by student and notebook digest."""
    if folder is None:
        return None
    if not (folder / "ledger.sqlite").is_file():
        raise UserError(f"--preliminary {folder} holds no ledger.sqlite: give the grading service's folder "
                        "(on the course hub: /srv/task41-hub/preliminary), or leave the option out")
    from autograder.preliminary import ledger

    return ledger.graded_before(folder, task.name)


def grade_command(args):
    from autograder.grading import class_run, intake
    from autograder.result import Status

    task = assignment_named(args.assignment)
    limits = Limits(cell_timeout=args.cell_timeout, wall_seconds=args.wall_timeout,
                    memory_bytes=int(args.memory_gb * 2**30))
    options = class_run.Options(submissions=args.submissions, out=args.out, task=task,
                                  workers=args.workers, scheduler=args.scheduler, db_url=args.db,
                                  force=args.force, pattern=args.pattern or intake.DEFAULT_PATTERN,
                                  limits=limits, isolation=args.isolation, verbose=args.verbose,
                                  roster=args.roster, source=args.source, lms_assignment=args.lms_assignment,
                                  graded_before=preliminary_results(args.preliminary, task))
    try:
        results = class_run.run(options)
    except KeyboardInterrupt:
        saved = len(list((args.out / "results").glob("*.json"))) if (args.out / "results").is_dir() else 0
        print(f"\ninterrupted: {class_run.plural(saved, 'result')} saved in {args.out / 'results'}; run the same "
              "command again to grade the rest (what was saved is not graded again).", file=sys.stderr)
        return INTERRUPTED
    graded = [r for r in results if r.status == Status.GRADED]
    print(f"{class_run.plural(len(results), 'student')}, {len(graded)} graded; grades: {args.out / 'grades.csv'}, "
          f"report: {args.out / 'report.html'}, feedback: {args.out / 'feedback'}/")
    from autograder.report.class_report import untimed_note

    if untimed_note(results):
        print(f"note: {untimed_note(results)}.")
    faults = [r for r in results if r.status == Status.GRADER_ERROR]
    if faults:
        print(f"class incomplete: {len(faults)} row(s) are grader-error, a fault of the grading machine, not of "
              "the students (no score was given). Fix the cause and rerun the same command; it grades only these:",
              file=sys.stderr)
        for row in faults[:10]:
            print(f"  {row.student_id}: {row.detail.splitlines()[0][:300]}", file=sys.stderr)
        return INCOMPLETE
    return 0


def main(argv=None):
    from importlib.metadata import PackageNotFoundError, version

    try:
        own_version = version("task41-autograder")
    except PackageNotFoundError:
        own_version = "from source"
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__, epilog=EXIT_CODES)
    parser.add_argument("--version", action="version", version=f"%(prog)s {own_version}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_help = "release the assignment, grade the solution and a blank notebook in a scratch course, print the grades"
    demo_cmd = commands.add_parser("demo", help=demo_help, description=demo_help, epilog=EXIT_CODES)
    demo_cmd.add_argument("--out", type=pathlib.Path, default=layout.DEMO_DIR,
                          help="scratch course directory (default: %(default)s)")
    grade_help = "grade a whole class: isolated, parallel, resumable"
    grade = commands.add_parser("grade", help=grade_help, epilog=EXIT_CODES, description=(
        f"{grade_help}. Writes grades.csv, a feedback page per student, report.html and nbgrader's gradebook "
        "into --out (docs/instructor.md#grade-a-class). Run it as root (sudo) on the grading machine, so student "
        "code runs as an unprivileged sandbox user; the output is given to you."))
    grade.add_argument("assignment", help=f"assignment name ({layout.ASSIGNMENT}), or the folder of one with an "
                                          "assignment.toml")
    grade.add_argument("submissions", type=pathlib.Path,
                       help="nbgrader submitted/ tree, or a folder or .zip of files named <student>_...ipynb")
    grade.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1,
                       help="parallel graders on this machine (default: cores = %(default)s)")
    grade.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://10.0.0.5:8786")
    grade.add_argument("--db", metavar="URL", help="gradebook SQLAlchemy URL (default: sqlite in --out)")
    grade.add_argument("--out", type=pathlib.Path, default=pathlib.Path("grading"),
                       help="output folder (default: %(default)s)")
    grade.add_argument("--force", action="store_true", help="regrade submissions graded before")
    grade.add_argument("--roster", type=pathlib.Path,
                       help="the class list: Canvas's gradebook export, Moodle's grading worksheet, or a CSV of "
                            "username,first_name,last_name (names for Formgrader, 'missing' rows, LMS exports)")
    grade.add_argument("--source", choices=("auto", "nbgrader", "canvas", "moodle", "pattern"), default="auto",
                       help="the layout of SUBMISSIONS (default: told from the names, and printed)")
    grade.add_argument("--lms-assignment", metavar="TEXT",
                       help="part of the title or the id of this assignment's column in a Canvas gradebook export")
    grade.add_argument("--pattern", help="regex with a (?P<student>...) group for LMS file names")
    grade.add_argument("--cell-timeout", type=positive_int, default=Limits.cell_timeout,
                       help=f"seconds for each data or training cell; other cells get {Limits.quick_cell_timeout} s, "
                            f"and {Limits.after_hang_timeout} s once one cell has hung (default: %(default)s)")
    grade.add_argument("--wall-timeout", type=positive_int, default=Limits.wall_seconds,
                       help="seconds per submission; the notebook stops a little before, so its points are "
                            "saved (default: %(default)s)")
    grade.add_argument("--memory-gb", type=memory_cap, default=Limits.memory_bytes / 2**30,
                       help="memory cap of student code in GB, or 'none' for no cap (default: %(default)s)")
    grade.add_argument("--isolation", choices=("auto", "sandbox"), default="auto",
                       help="sandbox: refuse to start unless student code can run as sandbox users in "
                            "namespaces (needs root); auto: sandbox when root, else resource limits only")
    grade.add_argument("--verbose", action="store_true", help="show library warnings and a line per submission")
    grade.add_argument("--preliminary", type=pathlib.Path, metavar="DIR",
                       help="the hub's grading service's folder (/srv/task41-hub/preliminary): a notebook it already "
                            "graded, byte for byte, is recorded from there instead of graded again")
    publish_help = ("after manual grading in Formgrader: carry its scores and comments into grades.csv, the report "
                    "and feedback")
    publish = commands.add_parser("publish", help=publish_help, description=publish_help, epilog=EXIT_CODES)
    publish.add_argument("--out", type=pathlib.Path, default=pathlib.Path("grading"),
                         help="the output folder of `grade` (default: %(default)s)")
    publish.add_argument("--db", metavar="URL", help="gradebook URL, if `grade` was given --db")
    hub = commands.add_parser("hub", help="a course hub on this machine: JupyterHub on 127.0.0.1, one Unix account "
                                          "per roster row, nbgrader's exchange (needs root; Ctrl-C stops it)")
    hub.add_argument("--roster", type=pathlib.Path, default=None,
                     help="CSV of username,first_name,last_name,role (default: autograder/hub/example_roster.csv)")
    hub.add_argument("--port", type=int, default=8000, help="port of the hub on 127.0.0.1 (default: %(default)s)")
    commands.add_parser("release", help="regenerate release/ from source/ with nbgrader generate_assignment")
    commands.add_parser("check-release", help="fail if release/ differs from a fresh generation")
    args = parser.parse_args(argv)

    try:
        return run(args)
    except (UserError, GraderFault) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exit_code_of(exc)


def run(args):
    if args.command == "grade":
        return grade_command(args)
    if args.command == "publish":
        from autograder.grading import publish as publish_step

        publish_step.run(args.out, args.db)
    if args.command == "hub":
        from autograder.course import roster
        from autograder.hub import server

        return server.run(args.roster or roster.EXAMPLE, args.port)
    if args.command == "demo":
        from autograder import demo  # imports numpy and nbformat: not for the other commands

        demo.run(args.out)
    elif args.command == "release":
        print(f"release written to {release.update().relative_to(layout.REPO)}/")
    elif args.command == "check-release":
        problems = release.check()
        if problems:
            print("release/ is out of date with source/; run `python -m autograder release`:")
            print("\n".join(f"  {p}" for p in problems))
            return 1
        print("release/ is in sync with source/.")
    return 0


if __name__ == "__main__":
    code = main()
    gc.freeze()  # exiting: skip the final collections of everything nbgrader and matplotlib made (~0.4 s)
    sys.exit(code)
