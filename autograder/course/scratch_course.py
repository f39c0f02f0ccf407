"""A temporary nbgrader course directory built from this repository.

Every command runs nbgrader's own command line (through run_nbgrader, the one way this
package runs nbgrader), so what is tested here is exactly what an instructor runs.
"""
import pathlib
import shutil
import tempfile

from autograder.course import environment, gradebook_reader, layout, run_nbgrader
from autograder.errors import GraderFault


class NbgraderFailed(GraderFault):
    """An nbgrader command exited non-zero; the message carries its log."""


class Course:
    def __init__(self, root, task=None):
        self.root = pathlib.Path(root).resolve()
        self.task = task or layout.TASK  # the assignment its commands name (autograder/assignment.py)

    @classmethod
    def create(cls, root, fresh=True, task=None):
        """Lay out a course at ``root``: the config and the source/ folder of ``task`` (default: Task 4.1)."""
        task = task or layout.TASK
        root = pathlib.Path(root)
        if fresh and root.exists():
            shutil.rmtree(root)
        (root / "source").mkdir(parents=True, exist_ok=True)
        shutil.copy(layout.CONFIG_FILE, root / "nbgrader_config.py")
        shutil.copytree(task.folder, root / "source" / task.name,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"),
                        dirs_exist_ok=True)
        return cls(root, task)

    @property
    def db_url(self):
        return layout.sqlite_url(self.root)

    def nbgrader(self, *args, timeout=3600):
        """Run ``nbgrader ARGS`` in the course root (run_nbgrader.run); raise NbgraderFailed with its log on error."""
        with tempfile.TemporaryDirectory(prefix="task41-nbgrader-") as scratch:
            log = pathlib.Path(scratch) / "nbgrader.log"
            code = run_nbgrader.run(list(args), self.root, environment.child_env(self.task), log, timeout)
            if code != 0:
                output = log.read_text(errors="replace") if log.exists() else ""
                why = f"exit {code}" if code is not None else f"no answer within {timeout} s"
                raise NbgraderFailed(f"`nbgrader {' '.join(args)}` failed ({why}):\n{output}")

    def generate_assignment(self):
        self.nbgrader("generate_assignment", self.task.name, "--force")
        return self.root / "release" / self.task.name

    def submission_path(self, student):
        return self.task.student_notebook(self.root, "submitted", student)

    def submit(self, student, notebook_file):
        """Place a notebook as the student's submission."""
        dest = self.submission_path(student)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook_file, dest)
        return dest

    def autograde(self, student=None):
        args = ["autograde", self.task.name, "--force"]
        if student:
            args.append(f"--student={student}")
        return self.nbgrader(*args)

    def autograded_notebook(self, student):
        return self.task.student_notebook(self.root, "autograded", student)

    def grades(self):
        """{student: {"score", "max_score", "cells": {grade_id: (score, max, needs_manual)}}}."""
        found = {}
        for student, grades in gradebook_reader.stored_grades(self.db_url, task=self.task).items():
            cells = {gid: (grade.score, grade.max_score, grade.needs_manual) for gid, grade in grades.items()}
            found[student] = {"score": sum(grade.score for grade in grades.values()),
                              "max_score": sum(grade.max_score for grade in grades.values()), "cells": cells}
        return found
