"""Autograde and feedback stage: a graded notebook that is safe to render.

Formgrader renders the autograded notebook at the Jupyter origin with the instructor's session,
and feedback pages render it for TAs and students. nbconvert's ``sanitize_html`` covers outputs
only: nbgrader's templates render markdown cells (and graders' comments) themselves, and a markdown
``javascript:`` link is not HTML until it is rendered. So this stage, run after execution and
again after GetGrades, reduces what a student wrote or displayed to ``course.safe_html``'s
allow-list *after rendering*:

- markdown cells and graders' comments: rendered with nbconvert's own markdown renderer and
  cleaned; a cell whose rendering the cleaning changes is replaced by the cleaned HTML, written so
  that rendering it again gives exactly that HTML (checked: else it becomes escaped text);
- rich outputs: HTML cleaned, markdown rendered then cleaned, JavaScript, SVG, widgets and unknown
  types dropped (a line of text says so), images kept only as valid base64, output metadata only
  as numeric sizes;
- raw cells and attachments cleaned; widget state in the notebook's metadata dropped.

Text outputs, errors and ``text/plain`` are untouched: nbgrader scores test cells from them, and
nbconvert escapes them. A cell that is already safe keeps its source byte for byte.
"""
import base64
import binascii
import re

from nbconvert.exporters import HTMLExporter
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.course.safe_html import clean_html, cleaning_changes, escape_text

KEPT_IMAGES = ("image/png", "image/jpeg", "image/gif")
REMOVED = "[removed from this graded copy: {} output, which could run script in a reader's browser]"
# MathJax typesets maths in markdown and HTML; these macros make links, ids, classes and styles.
TEX_ACTIVE = re.compile(r"\\(href|url|class|cssId|style|html|require|unicode|data|toggle|mmlToken)\b")

_renderer = None


def render_markdown(source, attachments=None):
    """What nbconvert's HTML templates make of a markdown cell (Formgrader's and the feedback's)."""
    global _renderer
    if _renderer is None:
        _renderer = HTMLExporter()
    return _renderer.markdown2html({"cell": {"attachments": attachments or {}}}, source)


def defuse_tex(text):
    r"""``\href{...}`` and its kin as plain words, so MathJax cannot turn maths into links or styles."""
    return TEX_ACTIVE.sub(r"\\mathrm{\1}", text)


def as_inert_markdown(html):
    """Markdown that renders to ``html``: one raw HTML block, its line breaks as character references
    (the same text to a browser) so that no blank line ends the block and lets markdown in again."""
    return "<div>" + html.strip().replace("\r", "").replace("\n", "&#10;") + "</div>"


def renders_verbatim(candidate):
    return render_markdown(candidate).strip() == candidate


def is_inert(source):
    """``source`` is already this stage's output (the feedback pass sees the autograde pass's)."""
    return (source.startswith("<div>") and source.endswith("</div>") and "\n" not in source
            and as_inert_markdown(defuse_tex(clean_html(source[len("<div>"):-len("</div>")]))) == source
            and renders_verbatim(source))


MAX_REMEMBERED = 2000  # cells; most markdown of a submission is the release's own, the same for everyone
_remembered: dict[str, str] = {}


def safe_markdown(source, attachments=None):
    """``source`` if its rendering is already safe, else markdown whose rendering is the cleaned HTML.

    Remembered per process for cells without attachments: a grading worker cleans the release notebook
    once before it forks (``worker.prepare``), so each submission renders only what the student wrote.
    """
    if attachments:
        return _safe_markdown(source, attachments)
    if source not in _remembered:
        result = _safe_markdown(source)
        if len(_remembered) >= MAX_REMEMBERED:
            return result
        _remembered[source] = result
    return _remembered[source]


def _safe_markdown(source, attachments=None):
    if is_inert(source):
        return source
    rendered = render_markdown(source, attachments)
    if not cleaning_changes(rendered) and defuse_tex(rendered) == rendered:
        return source
    cleaned = defuse_tex(clean_html(rendered))
    for candidate in (as_inert_markdown(cleaned), as_inert_markdown("<pre>" + escape_text(source) + "</pre>")):
        if renders_verbatim(candidate):
            return candidate
    raise AssertionError("no safe rendering of a markdown cell")  # escaped text always renders as itself


def valid_base64(data):
    text = data if isinstance(data, str) else "".join(data)
    try:
        base64.b64decode(re.sub(r"\s", "", text), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def safe_bundle(data):
    """A display's mime bundle reduced to what renders inertly; the names of what was dropped."""
    kept, dropped = {}, []
    for mime, value in data.items():
        if mime in ("text/plain", "text/latex"):
            kept[mime] = defuse_tex(value) if mime == "text/latex" else value
        elif mime == "text/html":
            kept[mime] = defuse_tex(clean_html(_text(value)))
        elif mime == "text/markdown":
            kept["text/html"] = defuse_tex(clean_html(render_markdown(_text(value))))
        elif mime in KEPT_IMAGES and valid_base64(value):
            kept[mime] = value
        else:
            dropped.append(mime)
    return kept, dropped


def _text(value):
    return value if isinstance(value, str) else "".join(value)


def safe_metadata(metadata):
    """Output metadata as nbconvert's templates read it (image sizes), integers only."""
    safe = {}
    for mime, entry in metadata.items():
        if mime in KEPT_IMAGES and isinstance(entry, dict):
            sizes = {k: v for k, v in entry.items() if k in ("width", "height") and type(v) is int}
            if sizes:
                safe[mime] = sizes
    return safe


class SanitizeStudentContent(NbGraderPreprocessor):

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)
        nb.metadata.pop("title", None)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "markdown":
            attachments = cell.pop("attachments", {})
            cell.source = safe_markdown(cell.source, attachments)  # an unsafe attachment is rendered, then cleaned
            images = {name: {mime: data for mime, data in safe_bundle(bundle)[0].items() if mime in KEPT_IMAGES}
                      for name, bundle in attachments.items()}
            if any(images.values()):
                cell.attachments = {name: bundle for name, bundle in images.items() if bundle}
        elif cell.cell_type == "raw":
            cell.source = clean_html(cell.source)
        elif cell.cell_type == "code":
            for output in cell.get("outputs", []):
                self.clean_output(output)
        comment = cell.metadata.get("nbgrader", {}).get("comment")
        if isinstance(comment, str):
            cell.metadata.nbgrader["comment"] = safe_markdown(comment)
        return cell, resources

    @staticmethod
    def clean_output(output):
        if output.output_type not in ("display_data", "execute_result"):
            return  # stream and error text: nbconvert escapes it, nbgrader scores from it
        kept, dropped = safe_bundle(output.get("data", {}))
        if dropped and not kept.keys() - {"text/plain"}:
            note = REMOVED.format(", ".join(dropped))
            kept["text/plain"] = kept["text/plain"] + "\n" + note if "text/plain" in kept else note
        output.data = kept
        output.metadata = safe_metadata(output.get("metadata", {}))
