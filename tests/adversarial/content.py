"""The content attacks (content.toml): submissions whose writing or displays aim at the people who read them.

``PAYLOADS`` are read from content.toml; ``submission(payload)`` is the reference solution with that
payload in it; ``write_class(root)`` writes all of them as nbgrader's ``submitted/`` tree with a
roster; ``live_content(page)`` lists what any working payload leaves in a page.
"""
import dataclasses
import pathlib
import re
import tomllib

import nbformat

from autograder.course import layout, synthetic_submissions
from autograder.course.tex_mathml import MATH_TAGS

CONTENT = pathlib.Path(__file__).with_name("content.toml")
AFTER = "exercise_answer"  # added cells go after the written answer, as a student adds notes there


@dataclasses.dataclass
class Payload:
    name: str
    spec: dict

    @property
    def student(self):
        return ("x-" + self.name)[:32].rstrip("-")  # a safe account name (lowercase, digits, -; at most 32)

    def text(self, key):
        return self.spec[key].replace("__NAME__", self.name) if key in self.spec else None

    @property
    def last_name(self):
        return self.text("last_name")


def load():
    with open(CONTENT, "rb") as handle:
        return [Payload(spec["name"], spec) for spec in tomllib.load(handle)["payload"]]


PAYLOADS = load()


def submission(payload):
    """The reference solution with ``payload`` in it: a notebook node."""
    answers = synthetic_submissions.reference_answers()
    if payload.text("answer") is not None:
        answers[AFTER] = payload.text("answer")
    notebook = synthetic_submissions.build(answers)
    added = []
    if payload.text("markdown") is not None:
        added.append(nbformat.v4.new_markdown_cell(payload.text("markdown")))
    if payload.text("code") is not None:
        added.append(nbformat.v4.new_code_cell(payload.text("code")))
    if "raw" in payload.spec:
        raw = payload.spec["raw"]
        added.append(nbformat.v4.new_raw_cell(raw["source"].replace("__NAME__", payload.name),
                                              metadata={"raw_mimetype": raw["mime"]}))
    if "attachment" in payload.spec:
        spec = payload.spec["attachment"]
        attachments = {spec["name"]: {spec["mime"]: spec["data"]}}
        added.append(nbformat.v4.new_markdown_cell(spec["source"], attachments=attachments))
    at = next(i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == AFTER)
    notebook.cells[at + 1:at + 1] = added
    return notebook


def write_class(root, payloads=PAYLOADS, honest=("alice",)):
    """``root/submitted/<student>/task4_1/`` for every payload and honest student; the roster's path."""
    for payload in payloads:
        synthetic_submissions.write(submission(payload), root / "submitted" / payload.student / layout.ASSIGNMENT
                                    / f"{layout.NOTEBOOK}.ipynb")
    reference = synthetic_submissions.build(synthetic_submissions.reference_answers())
    for student in honest:
        synthetic_submissions.write(reference, root / "submitted" / student / layout.ASSIGNMENT
                                    / f"{layout.NOTEBOOK}.ipynb")
    roster = root / "roster.csv"
    lines = ["username,first_name,last_name"] + [f"{s},Honest,Student" for s in honest]
    for payload in payloads:
        last = (payload.last_name or "Payload").replace('"', '""')
        lines.append(f'{payload.student},Test,"{last}"')
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return roster


# What a payload that worked leaves in a page's DOM: an element that runs, loads or lays out content
# of its own, an event handler, a style, a javascript: or data:text URL, or a MathJax macro that
# makes links or styles. Counted over the whole page (the templates' own are the baseline).
LIVE_ELEMENTS = {"script", "iframe", "frame", "object", "embed", "meta", "base", "form", "style", "svg",
                 "link", "template", "frameset", "applet"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "srcdoc", "background", "poster"}
ACTIVE_TEX = re.compile(r"\\(?:href|url|class|cssId|style|html)\b")


def live_content(page):
    """Each live thing in ``page`` (HTML text) as a short description."""
    from bs4 import BeautifulSoup

    found, soup = [], BeautifulSoup(page, "html.parser")
    for element in soup.find_all(True):
        if element.name in LIVE_ELEMENTS:
            found.append(f"<{element.name}>")
        if element.name == "math":  # feedback pages draw formulas as MathML: live only if it holds anything else
            found += [f"<math> holding <{inner.name}>" for inner in element.find_all(True)
                      if inner.name not in MATH_TAGS]
        for attribute, value in element.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            if attribute.startswith("on") or attribute == "style" or attribute == "srcdoc":
                found.append(f"{element.name}[{attribute}]")
            elif attribute in URL_ATTRIBUTES and re.match(r"\s*(javascript|vbscript|data:text)", value, re.I):
                found.append(f"{element.name}[{attribute}={value[:20]}]")
    for text in soup.find_all(string=ACTIVE_TEX):
        if text.parent.name not in ("pre", "code", "span"):  # code is shown, not typeset
            found.append("tex:" + ACTIVE_TEX.search(text).group())
    return found
