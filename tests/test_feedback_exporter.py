"""FeedbackHTMLExporter: the document HTMLExporter's full pipeline makes with the course's template and
maths, minus a pass that changes nothing; named score links, "awaiting a person", MathML and no script."""
import base64
import os
import re

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter
from traitlets.config import Config

from autograder.course import layout
from autograder.course.safe_html import with_csp
from autograder.nbgrader_ext.feedback_exporter import FeedbackHTMLExporter, RememberingHighlight2HTML

# A 1x1 PNG.
PIXEL = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360"
    "f8cf00000301010018dd8db00000000049454e44ae426082")).decode()


def feedback_config():
    """The template setup nbgrader's GenerateFeedback gives its exporter."""
    import nbgrader

    formgrader = os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader")
    config = Config()
    config.HTMLExporter.template_name = "feedback"
    config.HTMLExporter.extra_template_basedirs = [os.path.join(formgrader, "templates")]
    config.HTMLExporter.extra_template_paths = [
        os.path.join(formgrader, "static", "node_modules", "bootstrap", "dist", "css")]
    return config


def graded_notebook(with_image):
    """The release notebook with the metadata nbgrader's GetGrades adds, optionally a figure output."""
    notebook = nbformat.read(str(layout.RELEASE_NOTEBOOK), as_version=4)
    for cell in notebook.cells:
        grading = cell.metadata.get("nbgrader")
        if grading:
            grading.update(score=grading.get("points", 0), comment="")
        if with_image and cell.cell_type == "code" and not cell.outputs:
            cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": PIXEL})]
            with_image = False
    return notebook


def resources():
    return {"nbgrader": {"score": 1, "max_score": 2, "late_penalty": 0, "student": "s",
                         "notebook": "n", "assignment": "a", "timestamp": "t"}}


def render(notebook):
    html, _ = FeedbackHTMLExporter(config=feedback_config()).from_notebook_node(notebook, resources=resources())
    return html


def full_pass(notebook):
    """The oracle: nbconvert's HTMLExporter.from_notebook_node, every pass, on the same exporter."""
    html, _ = HTMLExporter.from_notebook_node(FeedbackHTMLExporter(config=feedback_config()), notebook,
                                              resources=resources())
    return with_csp(html)


def soup(page):
    """The page as BeautifulSoup serialises it: equal for the same document, however it was written."""
    return str(BeautifulSoup(page, features="html.parser"))


def test_page_without_images_is_the_same_document():
    notebook = graded_notebook(with_image=False)
    ours, nbconverts = render(notebook), full_pass(notebook)
    assert "<img" not in nbconverts
    assert ours != nbconverts, "expected the pass to be skipped (only whitespace/serialisation differs)"
    assert soup(ours) == soup(nbconverts)


def test_remembered_highlighting_is_reused_and_never_stale():
    notebook = graded_notebook(with_image=False)
    render(notebook)
    assert RememberingHighlight2HTML.remembered, "the first page should have been remembered"
    code = next(cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.strip())
    code.source += "\nstudent_wrote_this = 41 + 1"
    ours = render(notebook)
    assert "student_wrote_this" in ours
    assert soup(ours) == soup(full_pass(notebook))


@pytest.mark.filterwarnings("ignore")
def test_page_with_an_image_gets_the_full_pass():
    notebook = graded_notebook(with_image=True)
    html = render(notebook)
    assert 'alt="No description has been provided for this image"' in html
    assert html == full_pass(notebook)


def test_every_feedback_page_forbids_script_first_thing_in_its_head():
    for with_image in (False, True):
        page = render(graded_notebook(with_image=with_image))
        head = page[page.index("<head>"):]
        assert head[len("<head>"):].lstrip().startswith('<meta http-equiv="Content-Security-Policy"'), head[:200]


def test_links_to_course_files_become_text_in_feedback_web_links_and_anchors_stay():
    import nbformat

    from autograder.nbgrader_ext import UnlinkCourseFiles

    cell = nbformat.v4.new_markdown_cell(
        "See [`notebooks/02.ipynb`](../../notebooks/02.ipynb), [CS231n](https://cs231n.github.io/), "
        "[Part 2](#Part-2) and [mail](mailto:staff@example.org).")
    cell, _ = UnlinkCourseFiles().preprocess_cell(cell, {}, 0)
    assert cell.source == ("See `notebooks/02.ipynb`, [CS231n](https://cs231n.github.io/), "
                           "[Part 2](#Part-2) and [mail](mailto:staff@example.org).")


def labelled(notebook, awaiting=()):
    """What LabelGradedCells writes, without a gradebook: names, and the cells a person has not scored."""
    from autograder.nbgrader_ext.label_graded_cells import cell_label

    for cell in notebook.cells:
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("grade") or grading.get("task"):
            grading.update(label=cell_label(cell), awaiting_person=grading["grade_id"] in awaiting)
    return notebook


def test_score_links_name_their_cells_and_an_unscored_answer_awaits_a_person():
    notebook = labelled(graded_notebook(with_image=False), awaiting={"exercise_answer"})
    page = BeautifulSoup(render(notebook), features="html.parser")
    links = {a["href"][1:]: a.parent.get_text(" ", strip=True) for a in page.select("#toc li a")}
    graded = [c.metadata.nbgrader for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert set(links) == {g["grade_id"] for g in graded}
    assert not any("Test cell" in text for text in links.values())
    for grading in graded:
        text = links[grading["grade_id"]]
        assert text.startswith(grading["label"]), text
        if grading["grade_id"] == "exercise_answer":
            assert "awaiting a person" in text and "Score" not in text, text
        else:
            assert f"Score: {float(grading['points'])} / {float(grading['points'])}" in text, text
    answer_heading = page.find("a", attrs={"name": "exercise_answer"}).find_next("div", class_="panel-heading")
    assert "awaiting a person" in answer_heading.get_text() and "Score" not in answer_heading.get_text()


def test_a_scored_answer_shows_its_score():
    notebook = labelled(graded_notebook(with_image=False), awaiting=())
    page = BeautifulSoup(render(notebook), features="html.parser")
    assert "awaiting a person" not in page.get_text()


def test_cell_labels_come_from_the_cells_first_comment_without_its_points():
    from nbformat.v4 import new_code_cell, new_markdown_cell

    from autograder.nbgrader_ext.label_graded_cells import MAX_LABEL, cell_label

    def cell(source, maker=new_code_cell, **grading):
        made = maker(source)
        made.metadata["nbgrader"] = {"grade": True, "grade_id": "test_some_thing", **grading}
        return made

    assert cell_label(cell("# Hidden tests: ReLU backward (1 point).\nassert True")) == "Hidden tests: ReLU backward"
    assert cell_label(cell("\n# Visible checks: SGD (2.5 points)\n")) == "Visible checks: SGD"
    assert cell_label(cell("# Checks of the loss.")) == "Checks of the loss"
    assert cell_label(cell("assert True")) == "test some thing"
    assert cell_label(cell("#\nassert True")) == "test some thing"
    assert len(cell_label(cell("# " + "word " * 60))) == MAX_LABEL
    assert cell_label(cell("YOUR ANSWER HERE", new_markdown_cell, solution=True)) == "Written answer"
    assert cell_label(cell("def f(): pass", solution=True)) == "Your code"


def test_formulas_are_mathml_and_the_page_runs_no_script():
    notebook = graded_notebook(with_image=False)
    formulas = sum(len(re.findall(r"\$\$.+?\$\$|\$[^$\n]+\$", c.source, flags=re.S))
                   for c in notebook.cells if c.cell_type == "markdown")
    page = render(notebook)
    assert formulas > 50
    assert page.count("<math") == formulas
    assert "<script" not in page.lower() and "mathjax" not in page.lower()
    text = BeautifulSoup(page, features="html.parser").find(id="notebook").get_text()
    assert "$" not in text.replace("$$", "") and "\\frac" not in text


def test_a_students_tex_cannot_make_links_styles_or_markup():
    from nbformat.v4 import new_markdown_cell

    notebook = graded_notebook(with_image=False)
    notebook.cells.append(new_markdown_cell(
        r"$\href{javascript:alert(1)}{x}$ $\style{position:fixed}{y}$ $\text{<img src=x onerror=alert(2)>}$ "
        r"$$\frac{1}{$$ and $\sigma(z)$"))
    page = render(notebook)
    last = BeautifulSoup(page, features="html.parser").select(".text_cell_render")[-1]
    assert not last.find_all(["a", "img", "script"]) and "javascript" not in str(last)
    assert not [tag for tag in last.find_all(True) if tag.get("style") or tag.get("href")]
    assert last.find("code").get_text() == r"$$\frac{1}{$$"  # unreadable TeX stays as its source
    assert len(last.find_all("math")) == 4


def test_any_tex_a_student_types_gives_mathml_or_its_escaped_source():
    """Fuzzed TeX: the converter never takes the page down, and nothing but MathML or code comes out."""
    import random

    from autograder.course.tex_mathml import MATH_TAGS, tex_to_mathml

    pieces = [r"\frac", "{", "}", "^", "_", r"\sqrt", "[", "]", r"\left(", r"\right)", "&", r"\\", r"\begin{matrix}",
              r"\end{matrix}", r"\text{<b>x</b>}", r"\href{javascript:x}", r"\style{color:red}", "x", "1", r"\color",
              r"\over", "<", ">", '"', r"\mathrm{", r"\operatorname", r"\sum", r"\int", "'", r"\binom"]
    rng = random.Random(0)
    for _ in range(400):
        tex = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        markup = tex_to_mathml(tex, display=rng.random() < 0.5)
        tags = set(re.findall(r"<([a-zA-Z][\w-]*)", markup))
        assert tags <= MATH_TAGS or tags == {"code"}, (tex, markup)
        assert not re.search(r"<[^>]*\s(?:href|style|src|on\w+)=", markup), (tex, markup)
