"""What the class got wrong: each named mistake, the students who made it, the tests it cost.

A failed test cell carries the diagnosis its check named (diagnoses.py; grade_one reads it
from the autograded notebook). Many failures carry none, a visible check's own assert for
one; such a failure is counted under the student's named mistakes in tests of the classes it
builds on (a failed MLP test next to a named ReLU mistake is that mistake's cost), and
otherwise as "unnamed" for its test, so the table never hides a failure.

Which classes a test exercises is read from the source notebook: the graded classes its
code names, and the classes their own cells name (MLP builds on Linear, ReLU, Softmax).
"""
import ast
import collections
import csv
import dataclasses
import functools
import html
import urllib.parse

from autograder.course.atomic_files import atomic_open
from autograder.course.notebook_code import cells_by_grade_id
from autograder.kernel import diagnosis
from autograder.result import Status

UNNAMED_PREFIX = diagnosis.UNNAMED + ":"
UNKNOWN_TITLE = "a mistake the checks could not name"
CSV_NAME = "misconceptions.csv"


@dataclasses.dataclass
class Misconception:
    key: str                 # a diagnosis id, or "unnamed:<test grade_id>"
    title: str
    students: list           # student ids, sorted
    tests: collections.Counter   # test grade_id -> how many of these students it cost


@functools.cache
def classes_exercised(notebook_path, graded_classes):
    """{test grade_id: frozenset of graded class names its code runs}, closed over class dependencies.

    ``graded_classes``: (class name, grade_id of the cell defining it) pairs, as Assignment.classes.
    """
    cells = cells_by_grade_id(notebook_path)
    names = {name for name, _ in graded_classes}

    def named_in(source):
        """Graded classes the code refers to (names in code, not in comments or messages)."""
        return {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)} & names

    uses = {name: named_in(cells[grade_id].source) - {name} for name, grade_id in graded_classes}

    def closure(start):
        found, todo = set(), list(start)
        while todo:
            name = todo.pop()
            if name not in found:
                found.add(name)
                todo.extend(uses[name])
        return frozenset(found)

    return {gid: closure(named_in(cell.source)) for gid, cell in cells.items()
            if cell.metadata["nbgrader"].get("grade") and not cell.metadata["nbgrader"].get("solution")}


def failed_tests(result, exercised):
    """{test grade_id: its diagnosis or None} of the test cells that lost points.

    Only test cells (the keys of ``exercised``): a written answer a person scored is not a misconception.
    """
    return {gid: cell.get("diagnosis") for gid, cell in result.cells.items()
            if gid in exercised and not cell.get("needs_manual") and cell["score"] < cell["max_score"]}


def student_mistakes(failed, exercised):
    """{misconception key: [tests it cost]} for one student's ``failed_tests``."""
    named = {gid: found for gid, found in failed.items() if found}
    mistakes = collections.defaultdict(list)
    for gid, found in failed.items():
        if found:
            mistakes[found].append(gid)
            continue
        mine = exercised.get(gid, frozenset())
        underlying = {found for other, found in named.items() if exercised.get(other, mine) <= mine}
        for key in underlying or {UNNAMED_PREFIX + gid}:
            mistakes[key].append(gid)
    return dict(mistakes)


def title(key, catalogue):
    """The row's title: from ``catalogue`` ({identifier: title}, Assignment.catalogue())."""
    if key.startswith(UNNAMED_PREFIX):
        return f"failed {key[len(UNNAMED_PREFIX):]} without a named cause"
    return catalogue.get(key, UNKNOWN_TITLE)


def class_misconceptions(results, exercised, catalogue=diagnosis.GENERIC):
    """The table's rows, most students first: only students graded in full count.

    ``exercised``: classes_exercised() of the assignment; ``catalogue``: its Assignment.catalogue().
    """
    students, tests = collections.defaultdict(set), collections.defaultdict(collections.Counter)
    for result in results:
        if result.status != Status.GRADED:
            continue  # a crash or tampering is not a misconception
        for key, cost in student_mistakes(failed_tests(result, exercised), exercised).items():
            students[key].add(result.student_id)
            tests[key].update(cost)
    rows = [Misconception(key, title(key, catalogue), sorted(ids), tests[key]) for key, ids in students.items()]
    return sorted(rows, key=lambda row: (-len(row.students), row.key.startswith(UNNAMED_PREFIX), row.key))


def write_csv(rows, path):
    with atomic_open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["misconception", "title", "students", "student_ids", "tests"])
        for row in rows:
            writer.writerow([row.key, row.title, len(row.students), " ".join(row.students),
                             " ".join(f"{gid}:{count}" for gid, count in sorted(row.tests.items()))])


def section_html(rows, feedback_link):
    """The report's section; '' when nobody lost a point. ``feedback_link(student)`` gives an href or None."""
    if not rows:
        return ""

    def student(sid):
        href = feedback_link(sid)
        name = html.escape(sid)
        return f'<a href="{urllib.parse.quote(href)}">{name}</a>' if href else name

    body = []
    for row in rows:
        cost = ", ".join(f"{html.escape(gid)} ({count})" for gid, count in sorted(row.tests.items()))
        body.append(f"<tr><td><code>{html.escape(row.key)}</code><br>{html.escape(row.title)}</td>"
                    f"<td class='num'>{len(row.students)}</td>"
                    f"<td>{', '.join(student(s) for s in row.students)}</td><td>{cost}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("misconception", "students", "who", "tests it cost (students)"))
    return ("<h2>What the class got wrong</h2><p class='muted'>Each mistake a hidden test named, with the "
            "students who made it; a failure no test could name is listed as unnamed for its test. Also in "
            f"{CSV_NAME}.</p><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
