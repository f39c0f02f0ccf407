"""Student content never becomes live HTML: every content attack (tests/adversarial/content.toml), after
the SanitizeStudentContent stage, rendered with nbgrader's own Formgrader and feedback templates.

Fast tier: outputs are what IPython makes of the payload's code in this process (the browser tier
grades the same payloads for real and opens the pages in Chromium). Each check is also run on the
unsanitised notebook and must fail there: the payload is live without the stage.
"""
import copy
import functools
import re

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from nbconvert.exporters import HTMLExporter
from nbgrader.server_extensions.formgrader import handlers as formgrader_handlers
from traitlets.config import Config

from autograder.course import layout, safe_html
from autograder.nbgrader_ext.feedback_exporter import FeedbackHTMLExporter
from autograder.nbgrader_ext.sanitize_student_content import SanitizeStudentContent, safe_markdown
from autograder.nbgrader_ext.unlink_course_files import UnlinkCourseFiles
from tests.adversarial import content
from tests.test_feedback_exporter import feedback_config

NOTEBOOK_PAYLOADS = [p for p in content.PAYLOADS if p.last_name is None]
NAME_PAYLOADS = [p for p in content.PAYLOADS if p.last_name is not None]
TEMPLATES = formgrader_handlers.template_path


@functools.cache
def release_sources():
    return {cell.source for cell in nbformat.read(str(layout.RELEASE_NOTEBOOK), as_version=4).cells}


def students_part(payload):
    """The cells of the payload's notebook that are not the release's (and the written answer):
    the templates render a page around them as around the whole notebook, in a tenth of the time."""
    notebook = content.submission(payload)
    release = release_sources()
    notebook.cells = [cell for cell in notebook.cells if cell.source not in release
                      or cell.metadata.get("nbgrader", {}).get("grade_id") == content.AFTER]
    return notebook


def with_outputs(payload):
    """The payload's cells, its added code cell with the outputs IPython makes of it (no kernel)."""
    notebook = students_part(payload)
    shell = InteractiveShell.instance()
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source == payload.text("code"):
            with capture_output() as captured:
                result = shell.run_cell(cell.source, store_history=True)
            cell.outputs = [nbformat.v4.new_output("display_data", data=o.data, metadata=o.metadata)
                            for o in captured.outputs]
            if result.result is not None:
                data, metadata = shell.display_formatter.format(result.result)
                cell.outputs.append(nbformat.v4.new_output("execute_result", data=data, metadata=metadata,
                                                           execution_count=1))
    return notebook


@functools.cache
def exporter(template):
    """The exporter Formgrader renders a submission with, or the one generate_feedback uses."""
    if template == "feedback":
        return FeedbackHTMLExporter(config=feedback_config())
    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [TEMPLATES]
    return HTMLExporter(config=config)


RESOURCES = {"base_url": "/", "index": 0, "total": 1, "notebook_id": "numpy_neural_network",
             "assignment_id": "task4_1", "submission_id": "x", "student": "x",
             "notebook_path": "autograded/x/task4_1/numpy_neural_network.ipynb",
             "nbgrader": {"notebook": "numpy_neural_network", "assignment": "task4_1", "student": "x",
                          "score": 23.0, "max_score": 25.0, "late_penalty": 0}}


def hostile(html):
    return len(content.live_content(html))


def live_tags(html):
    """Tags a name may open (its leftover words, such as onerror=, are text once no tag opens)."""
    return len(re.findall(r"<(?:script|img|svg|iframe)\b", html, re.IGNORECASE))


def as_graded(notebook):
    """The metadata nbgrader's GetGrades adds before a template renders a graded notebook."""
    for cell in notebook.cells:
        grading = cell.metadata.get("nbgrader")
        if grading:
            grading.update(score=grading.get("points", 0), comment="")
    return notebook


@pytest.fixture(scope="module")
def baseline():
    """Markers the templates themselves hold (their own scripts and styles), per template."""
    plain = as_graded(students_part(content.Payload("honest", {})))
    return {t: hostile(exporter(t).from_notebook_node(sanitized(plain), resources=copy.deepcopy(RESOURCES))[0])
            for t in ("formgrade", "feedback")}


def sanitized(notebook):
    notebook = copy.deepcopy(notebook)
    stage = SanitizeStudentContent()
    notebook, _ = stage.preprocess(notebook, {})
    notebook, _ = UnlinkCourseFiles().preprocess(notebook, {})
    notebook, _ = stage.preprocess(notebook, {})  # the feedback pass, after GetGrades
    return notebook


@pytest.mark.parametrize("template", ["formgrade", "feedback"])
@pytest.mark.parametrize("payload", NOTEBOOK_PAYLOADS, ids=lambda p: p.name)
def test_no_payload_survives_the_stage_in_formgrader_or_feedback(payload, template, baseline):
    notebook = as_graded(with_outputs(payload))
    page, _ = exporter(template).from_notebook_node(sanitized(notebook), resources=copy.deepcopy(RESOURCES))
    assert hostile(page) == baseline[template], \
        f"{payload.name} in {template}: {content.live_content(page)}"


@pytest.mark.parametrize("payload", [p for p in NOTEBOOK_PAYLOADS if "defeated" not in p.spec
                                     and "print" not in p.name], ids=lambda p: p.name)
def test_the_check_sees_each_payload_without_the_stage(payload, baseline):
    """The marker check fails on the unsanitised notebook: each payload reaches nbgrader's page as HTML."""
    notebook = as_graded(with_outputs(payload))
    page, _ = exporter("formgrade").from_notebook_node(notebook, resources=copy.deepcopy(RESOURCES))
    assert hostile(page) > baseline["formgrade"], f"{payload.name}: the payload never reaches the page"


# Print and exception text is escaped by nbconvert itself; the stage leaves it as it is (nbgrader
# scores from it).
def test_mathjax_macros_become_words():
    page = safe_markdown("$\\href{javascript:alert(1)}{L}$ and $\\style{position:fixed}{x}$")
    assert "\\href" not in page and "\\style" not in page and "\\mathrm{href}" in page


def test_text_outputs_and_errors_are_left_for_nbgrader_to_score():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("stream", name="stderr", text="<script>x</script>"),
        nbformat.v4.new_output("error", ename="ValueError", evalue="<b>", traceback=["<b>"]),
        nbformat.v4.new_output("execute_result", data={"text/plain": "0.5"}, execution_count=1)])])
    before = copy.deepcopy(notebook.cells[0].outputs)
    assert sanitized(notebook).cells[0].outputs == before


@pytest.mark.parametrize("payload", NAME_PAYLOADS, ids=lambda p: p.name)
def test_a_roster_name_enters_the_gradebook_without_markup(payload, tmp_path):
    from autograder.course import roster as course_roster
    from autograder.lms import rosters

    path = tmp_path / "roster.csv"
    quoted = payload.last_name.replace('"', '""')
    path.write_text(f'username,first_name,last_name\nstudent1,Ann,"{quoted}"\n')
    person, = course_roster.read(path)
    student = rosters.read(path).students["student1"]
    for name in (person.last_name, student.last_name, student.full_name):
        assert "<" not in name and ">" not in name and '"' not in name, name
    resources = {**copy.deepcopy(RESOURCES), "last_name": person.last_name, "first_name": "Ann"}
    page, _ = exporter("formgrade").from_notebook_node(as_graded(students_part(content.Payload("honest", {}))),
                                                        resources=resources)
    unsafe = {**resources, "last_name": payload.last_name}
    live, _ = exporter("formgrade").from_notebook_node(as_graded(students_part(content.Payload("honest", {}))),
                                                        resources=unsafe)
    assert live_tags(page) < live_tags(live), "Formgrader prints the name unescaped: the check must see it raw"


def test_real_names_keep_their_letters():
    for name in ("O'Brien", "Zoë-Müller", "Nguyễn Thị", "de la Cruz, María", "Smith & Jones"):
        assert safe_html.plain_name(name) == name


def test_a_plain_written_answer_keeps_its_source_and_a_rewritten_one_its_text():
    answer = "Wider reached **95.2%**; lr 0.3 is best.\n\n- one\n- two\n\n$\\eta = 0.3$"
    assert safe_markdown(answer) in (answer, safe_markdown(safe_markdown(answer)))
    rewritten = safe_markdown(answer + "\n\n<script>alert(1)</script>")
    assert "<strong>95.2%</strong>" in rewritten and "<li>two</li>" in rewritten and "$\\eta = 0.3$" in rewritten
    assert safe_markdown(rewritten) == rewritten, "the feedback pass changes what autograde wrote"


def test_every_page_carries_the_policy_first_in_its_head():
    page = safe_html.with_csp("<!DOCTYPE html><html><head><title>t</title></head><body></body></html>")
    head = page[page.index("<head>"):]
    assert head.index("Content-Security-Policy") < head.index("<title>")
    assert "script-src 'none'" in safe_html.CONTENT_SECURITY_POLICY


def test_the_assignments_own_markdown_keeps_its_source_so_its_formulas_render():
    """Cleaning re-serialises (entities, ``<br />``, links' rel); that alone must not turn a cell into HTML."""
    cells = [c for c in nbformat.read(str(layout.RELEASE_NOTEBOOK), as_version=4).cells if c.cell_type == "markdown"]
    assert sum("$" in c.source for c in cells) > 10 and sum("](http" in c.source for c in cells) >= 1
    for cell in cells:
        if "](../" not in cell.source:  # a link out of the folder is not kept (RELATIVE_FILE)
            assert safe_markdown(cell.source) == cell.source, cell.source[:80]


def test_writing_differently_is_not_a_change_taking_anything_is():
    same = ['<p>a &#8212; "b" &amp; c<br /></p>', '<a href="#x">x</a>', '<h2 id="P-1">P</h2>', "<p>$a &lt; b$</p>"]
    for fragment in same:
        assert not safe_html.cleaning_changes(fragment), fragment
    taken = ['<a href="#x" onclick="f()">x</a>', '<p style="position:fixed">x</p>', "<p>a<!-- b --></p>",
             '<a href="javascript:f()">x</a>', '<div class="modal">x</div>', "<p>x</p><style>p{}</style>",
             '<img src="x.png" onerror="f()">', "<math><mi>x</mi></math>", "<details open>x</details>"]
    for fragment in taken:
        assert safe_html.cleaning_changes(fragment), fragment


def test_mathml_counts_as_live_only_when_it_holds_something_else():
    assert content.live_content('<math display="block"><mrow><mi>x</mi><mo>=</mo><mn>1</mn></mrow></math>') == []
    assert "<math> holding <img>" in content.live_content('<math><mtext><img src="x"></mtext></math>')
