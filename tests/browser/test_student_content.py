"""Hostile student content, graded by the grade command and opened in Chromium as an instructor opens it.

Every payload of tests/adversarial/content.toml is a student of one class. The instructor logs in to
JupyterLab, opens Formgrader from the Nbgrader menu and walks the submissions with Formgrader's own
Next button; then opens the class report and follows each student's feedback link. On every page:
no alert (each payload calls alert('xss:<name>') when it works), no request or navigation to a
"pwned" address, nothing of the student's positioned over the page, no live element, handler,
style or javascript: URL in what the student wrote, and the score still where a person reads it.
"""
import csv
import json
import re
import subprocess
import sys

import pytest

from autograder.course.tex_mathml import MATH_TAGS
from tests.adversarial import content
from tests.browser import lab_ui

# In the page's student regions (Formgrader and feedback both render cells inside these).
STUDENT_REGIONS = ".text_cell_render, .output_area, .output_subarea, .rendered_html"
AUDIT = r"""(regions) => {
  const MATHML_TAGS = MATHML_LIST;
  const found = [];
  const live = 'script,iframe,frame,object,embed,meta,base,form,style,svg,link,template';
  // feedback pages draw formulas as MathML: a <math> is live only if it holds anything but MathML
  const mathml = new Set(MATHML_TAGS);
  for (const region of document.querySelectorAll(regions)) {
    for (const el of region.querySelectorAll('*')) {
      if (el.matches(live)) found.push('<' + el.tagName.toLowerCase() + '>');
      if (el.tagName.toLowerCase() === 'math')
        for (const inner of el.querySelectorAll('*'))
          if (!mathml.has(inner.tagName.toLowerCase()))
            found.push('<math> holding <' + inner.tagName.toLowerCase() + '>');
      for (const attr of el.attributes) {
        const value = attr.value.trim().toLowerCase();
        // nbconvert's own colours of ANSI text (tracebacks) are styles too: only layout and visibility count
        const layout = /position|display|visibility|z-index|transform|opacity|margin|top|left|width|height|url\(/;
        if (attr.name.startsWith('on') || attr.name === 'srcdoc' || (attr.name === 'style' && layout.test(value)))
          found.push(attr.name + '=' + value.slice(0, 30));
        else if (/^(javascript|vbscript|data:text)/.test(value)) found.push(attr.name + '=' + value.slice(0, 20));
      }
      const position = getComputedStyle(el).position;
      if (['fixed', 'absolute', 'sticky'].includes(position)) found.push('positioned ' + el.tagName);
    }
  }
  if (getComputedStyle(document.body).visibility !== 'visible' || getComputedStyle(document.body).display === 'none')
    found.push('body hidden');
  return found;
}"""
AUDIT = AUDIT.replace("MATHML_LIST", json.dumps(sorted(MATH_TAGS - {"math"})))
# The point a person reads the score from must show that element, not something laid over it.
ON_TOP = """(selector) => {
  const el = document.querySelector(selector);
  if (!el) return 'missing ' + selector;
  el.scrollIntoView({block: 'center'});
  const box = el.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  if (hit && (el.contains(hit) || hit.contains(el))) return '';
  return 'covered: ' + (hit ? hit.outerHTML.slice(0, 80) : 'nothing');
}"""


def in_frame(frame, script, arg):
    """Run ``script`` (a one-argument function) in Formgrader's frame."""
    return frame.locator("body").evaluate(f"(body, arg) => ({script})(arg)", arg)


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    """The --out folder of `python -m autograder grade` on every content payload and one honest student."""
    root = tmp_path_factory.mktemp("hostile")
    roster = content.write_class(root)
    out = root / "grading"
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", "task4_1", str(root / "submitted"),
                             "--out", str(out), "--workers", "2", "--roster", str(roster)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"grading the class failed:\n{result.stdout}\n{result.stderr}"
    return out


class Watch:
    """What a page did that content must never make it do: alerts, requests to 'pwned' addresses."""

    def __init__(self, page):
        self.events = []
        page.on("dialog", self._dialog)
        page.on("request", lambda request: "pwned" in request.url and self.events.append(f"request {request.url}"))
        page.on("framenavigated", lambda frame: "pwned" in frame.url and self.events.append(f"navigated {frame.url}"))

    def _dialog(self, dialog):
        self.events.append(f"{dialog.type} {dialog.message!r}")
        dialog.dismiss()


def rows(path):
    with open(path, newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def test_every_payload_is_graded_as_the_reference_is(hostile_class):
    graded = rows(hostile_class / "grades.csv")
    assert set(graded) == {p.student for p in content.PAYLOADS} | {"alice"}
    wrong = {s: (r["status"], r["total"]) for s, r in graded.items() if (r["status"], r["total"]) != ("graded", "23")}
    assert not wrong, f"content changed a score or status: {wrong}"


def test_formgrader_runs_no_student_script_on_any_submission(hostile_class, jupyter_lab, page, shots):
    watch = Watch(page)
    server = jupyter_lab(hostile_class)
    server.login(page)
    lab_ui.wait_for_lab(page)
    frame = lab_ui.open_formgrader(page)

    frame.get_by_role("link", name="Manage Students").click()
    frame.locator("#main-table td.name").first.wait_for()
    frame.locator("#main-table", has_text="Honest").wait_for()
    shots(page, "hostile-0-formgrader-students")
    assert not watch.events, f"Manage Students: {watch.events}"

    frame.get_by_role("link", name="Manual Grading").click()
    frame.get_by_role("link", name="task4_1", exact=True).click()
    frame.get_by_role("link", name="numpy_neural_network").click()
    frame.locator("#main-table a.name-hidden").first.wait_for()
    total = frame.locator("#main-table a.name-hidden").count()
    assert total == len(content.PAYLOADS) + 1
    frame.locator("#main-table a.name-hidden").first.click()
    problems = {}
    for index in range(total):
        # attached, not visible: a payload that hid the page must be reported by the audit, not time out
        frame.locator(".panel-title", has_text=f"Submission {index + 1} / {total}").wait_for(state="attached")
        frame.locator("input.score#exercise_answer").wait_for(state="attached")
        frame.locator("body").evaluate("() => new Promise(r => setTimeout(r, 300))")  # onload handlers, refreshes
        student = frame.locator("a.name-shown").first.text_content().strip()
        found = in_frame(frame, AUDIT, STUDENT_REGIONS)
        found += [c for c in (in_frame(frame, ON_TOP, sel) for sel in
                              (".panel-title", "input.score#exercise_answer")) if c]
        if found or watch.events:
            problems[student] = found + watch.events
            watch.events = []
        if index == 0:
            shots(page, "hostile-1-formgrader-submission")
        frame.locator("li.next a").click()
    assert not problems, f"student content live in Formgrader: {problems}"
    frame.locator("#main-table a.name-hidden").first.wait_for()  # Next after the last returns to the list


def test_feedback_pages_run_no_student_script(hostile_class, page, shots):
    watch = Watch(page)
    page.goto((hostile_class / "report.html").as_uri())
    students = [p.student for p in content.PAYLOADS]
    problems = {}
    for student in students:
        assert not watch.events, f"report.html: {watch.events}"
        row = page.locator("tr", has=page.locator("td", has_text=re.compile(f"^{re.escape(student)}$")))
        with page.expect_navigation():
            row.last.locator("a", has_text="feedback").click()  # the Students table, the last on the page
        page.wait_for_load_state("load")
        page.wait_for_timeout(200)
        found = page.evaluate(AUDIT, STUDENT_REGIONS)
        score = page.get_by_text(re.compile(r"Score: 23(\.0)? / 25(\.0)?")).first
        found += [] if score.is_visible() else ["the score is not visible"]
        found += [c for c in [page.evaluate(ON_TOP, "h4")] if c]
        if found or watch.events:
            problems[student] = found + watch.events
            watch.events = []
        if student == "x-answer-style-overlay":  # the fake score laid over the page, had it worked
            shots(page, "hostile-2-feedback-overlay-attempt", full_page=False)
        page.go_back()
    assert not problems, f"student content live in feedback pages: {problems}"
