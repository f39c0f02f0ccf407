"""Command line: python -m autograder {demo,release,check-release}."""
import argparse
import pathlib
import sys

from . import demo, paths, release


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_cmd = commands.add_parser("demo", help="release the assignment, grade the solution and a blank "
                                                "notebook in a scratch course, print the grades")
    demo_cmd.add_argument("--out", type=pathlib.Path, default=demo.DEFAULT_DIR,
                          help="scratch course directory (default: %(default)s)")
    commands.add_parser("release", help="regenerate release/ from source/ with nbgrader generate_assignment")
    commands.add_parser("check-release", help="fail if release/ differs from a fresh generation")
    args = parser.parse_args(argv)

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
