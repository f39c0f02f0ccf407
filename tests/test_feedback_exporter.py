"""FeedbackHTMLExporter renders what nbgrader's HTMLExporter renders, minus a pass that changes nothing."""
import base64
import os

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


def render(exporter_class, notebook):
    resources = {"nbgrader": {"score": 1, "max_score": 2, "late_penalty": 0, "student": "s",
                              "notebook": "n", "assignment": "a", "timestamp": "t"}}
    html, _ = exporter_class(config=feedback_config()).from_notebook_node(notebook, resources=resources)
    return html


def soup(page):
    """The page as BeautifulSoup serialises it: equal for the same document, however it was written."""
    return str(BeautifulSoup(page, features="html.parser"))


def test_page_without_images_is_the_same_document():
    notebook = graded_notebook(with_image=False)
    ours, nbconverts = render(FeedbackHTMLExporter, notebook), with_csp(render(HTMLExporter, notebook))
    assert "<img" not in nbconverts
    assert ours != nbconverts, "expected the pass to be skipped (only whitespace/serialisation differs)"
    assert soup(ours) == soup(nbconverts)


def test_remembered_highlighting_is_reused_and_never_stale():
    notebook = graded_notebook(with_image=False)
    render(FeedbackHTMLExporter, notebook)
    assert RememberingHighlight2HTML.remembered, "the first page should have been remembered"
    code = next(cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.strip())
    code.source += "\nstudent_wrote_this = 41 + 1"
    ours = render(FeedbackHTMLExporter, notebook)
    assert "student_wrote_this" in ours
    assert soup(ours) == soup(with_csp(render(HTMLExporter, notebook)))


@pytest.mark.filterwarnings("ignore")
def test_page_with_an_image_gets_the_full_pass():
    notebook = graded_notebook(with_image=True)
    html = render(FeedbackHTMLExporter, notebook)
    assert 'alt="No description has been provided for this image"' in html
    assert html == with_csp(render(HTMLExporter, notebook))


def test_every_feedback_page_forbids_script_first_thing_in_its_head():
    for with_image in (False, True):
        page = render(FeedbackHTMLExporter, graded_notebook(with_image=with_image))
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
