"""Every output agrees with the gradebook after any sequence of grade, grade --force, a person's score
or comment in Formgrader, and publish: a person's score or comment is never lost from any output.

Each run tries a new random sequence (its seed is in any failure's message; OUTPUTS_SEED=<seed>
replays it), and every time the sequence that once lost a score: publish, then grade --force. After each
`grade` and `publish`, the steps that write outputs, grades.csv, the report and every feedback page
must show exactly what the gradebook holds: the automatic scores, the person's score of the written
answer and their comment. A score given in Formgrader reaches the outputs at the next of those steps.
"""
import csv
import html
import os
import random
import re

import pytest
from nbgrader.api import Gradebook

from autograder.__main__ import main
from autograder.course import layout, synthetic_submissions

pytestmark = [pytest.mark.kernel, pytest.mark.slow]  # its own tier: make test-slow (CI runs it)

ANSWER = "exercise_answer"
STEPS = ("grade", "grade --force", "score", "comment", "publish")


def write_class(root):
    answers = synthetic_submissions.reference_answers()
    bob = synthetic_submissions.mutate(answers, "sgd", "layer.b -= self.lr * layer.db", "pass")
    for student, submission in (("alice", answers), ("bob", bob)):
        synthetic_submissions.write(synthetic_submissions.build(submission),
                                    layout.student_notebook(root, "submitted", student))
    return root / "submitted"


def person_scores(out, student, score=None, comment=None):
    """What Formgrader does with a score or comment typed for the written answer; then what is stored."""
    with Gradebook(layout.sqlite_url(out)) as book:
        grade = book.find_grade(ANSWER, layout.NOTEBOOK, layout.ASSIGNMENT, student)
        remark = book.find_comment(ANSWER, layout.NOTEBOOK, layout.ASSIGNMENT, student)
        if score is not None:  # Formgrader's grade API: the score, and the cell no longer awaits a person
            grade.manual_score = score
            grade.needs_manual_grade = False
        if comment is not None:
            remark.manual_comment = comment
        book.db.commit()
        return grade.manual_score, remark.manual_comment, book.find_submission(layout.ASSIGNMENT, student).score


def check_outputs(out):
    with open(out / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    report = (out / "report.html").read_text(encoding="utf-8")
    for student in ("alice", "bob"):
        manual, comment, total = person_scores(out, student)
        row = rows[student]
        shown = "" if manual is None else f"{manual:g}"
        assert row[ANSWER] == shown, f"grades.csv lost {student}'s written-answer score: {row[ANSWER]!r} vs {shown!r}"
        assert float(row["total"]) == pytest.approx(total), f"grades.csv total of {student}: {row['total']} vs {total}"
        page = (out / "feedback" / student / layout.ASSIGNMENT / f"{layout.NOTEBOOK}.html").read_text(encoding="utf-8")
        heading = re.search(r"Score: ([\d.]+) / ([\d.]+)", page)
        assert heading and float(heading.group(1)) == pytest.approx(total), \
            f"{student}'s feedback page says {heading and heading.group(0)}, the gradebook {total}"
        answer = re.search(r">Written answer</a> \((awaiting a person|Score: ([\d.]+) / [\d.]+)", page)
        assert answer, f"{student}'s feedback page names no written answer"
        if manual is None:
            assert answer.group(1).startswith("awaiting"), \
                f"{student}'s page scores an unread answer: {answer.group(0)}"
        else:
            assert answer.group(2) and float(answer.group(2)) == pytest.approx(manual), \
                f"{student}'s page shows {answer.group(0)} for the written answer, the gradebook {manual}"
        if comment:
            assert html.escape(comment) in page or comment in page, f"{student}'s feedback page lost the comment"
        assert re.search(rf"<td>{student}</td><td>{re.escape(row['total'])}\b", report), \
            f"report.html's row of {student} does not show {row['total']}"


ONCE_LOST = ("grade", "score", "comment", "publish", "grade --force", "score", "grade")
SEED = int(os.environ.get("OUTPUTS_SEED") or random.SystemRandom().randrange(10**6))


@pytest.mark.parametrize("seed", [None, SEED], ids=["publish-then-force", f"seed-{SEED}"])
def test_every_output_agrees_with_the_gradebook_after_a_sequence(tmp_path, seed, mnist_available):
    rng = random.Random(seed or 0)
    submitted, out = write_class(tmp_path / "class"), tmp_path / "out"
    sequence = list(ONCE_LOST) if seed is None else ["grade"] + [rng.choice(STEPS) for _ in range(4)] + ["publish"]
    for number, step in enumerate(sequence):
        student = rng.choice(("alice", "bob"))
        if step.startswith("grade"):
            args = ["grade", layout.ASSIGNMENT, str(submitted), "--out", str(out), "--workers", "2"]
            assert main(args + (["--force"] if step.endswith("--force") else [])) == 0
        elif step == "score":
            person_scores(out, student, score=rng.choice((0.0, 0.5, 1.5, 2.0)))
        elif step == "comment":
            person_scores(out, student, comment=f"Step {number}: say why the wide network costs more time.")
        else:
            assert main(["publish", "--out", str(out)]) == 0
        if not step.startswith(("score", "comment")):
            try:
                check_outputs(out)
            except AssertionError as exc:
                raise AssertionError(f"seed {seed}, after {sequence[:number + 1]}: {exc}") from None
