"""Command line: python -m autograder {grade,demo,release,check-release}."""
import argparse
import os
import pathlib
import sys

from . import startup

startup.skip_iri_format_parser()  # before nbformat is imported

from . import demo, paths, release  # noqa: E402


def grade_command(args):
    from . import grade_class, intake, sandbox

    if args.assignment != paths.ASSIGNMENT:
        print(f"unknown assignment {args.assignment!r}; this course has {paths.ASSIGNMENT!r}")
        return 2
    limits = sandbox.Limits(cell_timeout=args.cell_timeout, wall_seconds=args.wall_timeout,
                            memory_bytes=int(args.memory_gb * 2**30))
    options = grade_class.Options(assignment=args.assignment, submissions=args.submissions, out=args.out,
                                  workers=args.workers, scheduler=args.scheduler, db_url=args.db,
                                  force=args.force, pattern=args.pattern or intake.DEFAULT_PATTERN,
                                  limits=limits)
    try:
        results = grade_class.run(options)
    except intake.IntakeError as exc:
        print(f"error: {exc}")
        return 2
    graded = [r for r in results if r["status"] == "graded"]
    print(f"{len(results)} students, {len(graded)} graded; grades: {args.out / 'grades.csv'}, "
          f"report: {args.out / 'report.html'}, feedback: {args.out / 'feedback'}/")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_cmd = commands.add_parser("demo", help="release the assignment, grade the solution and a blank "
                                                "notebook in a scratch course, print the grades")
    demo_cmd.add_argument("--out", type=pathlib.Path, default=demo.DEFAULT_DIR,
                          help="scratch course directory (default: %(default)s)")
    grade = commands.add_parser("grade", help="grade a whole class: isolated, parallel, resumable")
    grade.add_argument("assignment", help=f"assignment name ({paths.ASSIGNMENT})")
    grade.add_argument("submissions", type=pathlib.Path,
                       help="nbgrader submitted/ tree, or a folder or .zip of files named <student>_...ipynb")
    grade.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                       help="parallel graders on this machine (default: cores = %(default)s)")
    grade.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://10.0.0.5:8786")
    grade.add_argument("--db", metavar="URL", help="gradebook SQLAlchemy URL (default: sqlite in --out)")
    grade.add_argument("--out", type=pathlib.Path, default=pathlib.Path("grading"),
                       help="output folder (default: %(default)s)")
    grade.add_argument("--force", action="store_true", help="regrade submissions graded before")
    grade.add_argument("--pattern", help="regex with a (?P<student>...) group for LMS file names")
    grade.add_argument("--cell-timeout", type=int, default=180, help="seconds per cell (default: %(default)s)")
    grade.add_argument("--wall-timeout", type=int, default=900,
                       help="seconds per submission (default: %(default)s)")
    grade.add_argument("--memory-gb", type=float, default=4, help="memory cap of student code (default: %(default)s)")
    commands.add_parser("release", help="regenerate release/ from source/ with nbgrader generate_assignment")
    commands.add_parser("check-release", help="fail if release/ differs from a fresh generation")
    args = parser.parse_args(argv)

    if args.command == "grade":
        return grade_command(args)
    if args.command == "demo":
        demo.run(args.out)
    elif args.command == "release":
        print(f"release written to {release.update().relative_to(paths.REPO)}/")
    elif args.command == "check-release":
        problems = release.check()
        if problems:
            print("release/ is out of date with source/; run `python -m autograder release`:")
            print("\n".join(f"  {p}" for p in problems))
            return 1
        print("release/ is in sync with source/.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
