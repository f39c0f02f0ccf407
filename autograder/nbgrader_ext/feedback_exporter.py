"""nbgrader's feedback HTML, minus a pass that has nothing to do for our feedback.

``HTMLExporter`` parses its finished page with BeautifulSoup to give ``<img>`` tags
alt text and JupyterLab-template cells a tabindex, then serialises the page again.
Feedback uses the classic template and graded notebooks draw no figures, so for a
typical submission the pass changes nothing, yet it is ~0.6 s of the ~1.2 s a
feedback page costs. This exporter renders exactly like ``HTMLExporter`` and runs
that pass only when the page has an image or a JupyterLab cell.

It also remembers the code it highlighted (pygments: ~40% of a page).  Most code cells
of a submission are the assignment's own (setup, visible tests, demos); a grading worker
renders the release notebook once before it forks (``worker.prepare``), so every
feedback page forked from it highlights only what the student wrote.

Every page carries ``course.safe_html``'s Content-Security-Policy (no script, frames or forms):
defence in depth behind the SanitizeStudentContent stage. So the page's formulas cannot wait for
MathJax: markdown's maths is written as MathML (``course.tex_mathml``), which browsers draw
themselves, offline too. The template (``templates/course_feedback``, nbgrader's own with named
score links and "awaiting a person") drops the MathJax script.

Plugged in with nbgrader's own trait: ``c.GenerateFeedback.exporter_class``.
"""
import pathlib

import nbgrader
from jinja2 import pass_context
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from traitlets.config import Config

from autograder.course.safe_html import with_csp
from autograder.course.tex_mathml import tex_to_mathml

TEMPLATES = pathlib.Path(__file__).parent / "templates"
NBGRADER_TEMPLATES = pathlib.Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"

NEEDS_SOUP = ("<img", "jp-Notebook")
MAX_REMEMBERED = 2000  # highlighted cells; a long-lived process (Formgrader) stops adding at this


class RememberingHighlight2HTML(Highlight2HTML):
    """``Highlight2HTML`` that reuses the HTML of code it highlighted before in this process."""

    remembered: dict[tuple, str] = {}  # shared by every instance: the warm-up's exporter is not the one forks use

    def __call__(self, source, language=None, metadata=None):
        key = (source, language or self.pygments_lexer, (metadata or {}).get("magics_language"),
               repr(sorted(self.extra_formatter_options.items())))
        html = self.remembered.get(key)
        if html is None:
            html = super().__call__(source, language, metadata)
            if len(self.remembered) < MAX_REMEMBERED:
                self.remembered[key] = html
        return html


class MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer, with each formula as MathML instead of TeX left for MathJax."""

    def block_math(self, body):
        return tex_to_mathml(body, display=True)

    def latex_environment(self, name, body):
        return tex_to_mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)

    def inline_math(self, body):
        return tex_to_mathml(body)


class FeedbackHTMLExporter(HTMLExporter):
    def __init__(self, config=None, **kwargs):
        # GenerateFeedback configures HTMLExporter with nbgrader's template; this class's own section wins
        config = Config(config) if config else Config()
        config.FeedbackHTMLExporter.template_name = "course_feedback"  # extends nbgrader's "feedback"
        config.FeedbackHTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(NBGRADER_TEMPLATES)]
        # so that "feedback/index.html.j2" names nbgrader's page; the paths nbgrader set (bootstrap's CSS) stay
        config.FeedbackHTMLExporter.extra_template_paths = [
            *config.HTMLExporter.get("extra_template_paths", []), str(NBGRADER_TEMPLATES)]
        super().__init__(config=config, **kwargs)

    @pass_context
    def markdown2html(self, context, source):
        """HTMLExporter.markdown2html with MathMLRenderer."""
        cell = context.get("cell", {})
        renderer = MathMLRenderer(
            escape=False, attachments=cell.get("attachments", {}), embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text, exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options)
        return MarkdownWithMath(renderer=renderer).render(source)

    def from_notebook_node(self, nb, resources=None, **kw):
        html, resources = self._render(nb, resources, **kw)
        if any(marker in html for marker in NEEDS_SOUP):
            html, resources = super().from_notebook_node(nb, resources, **kw)
        return with_csp(html), resources

    def _render(self, nb, resources, **kw):
        """HTMLExporter.from_notebook_node up to, not including, its BeautifulSoup pass."""
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code",
                             self.filters.get("highlight_code",
                                              RememberingHighlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        data_types = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources)
        self.register_filter("filter_data_type", data_types)
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)
