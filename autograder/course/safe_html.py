"""HTML that a student (or their code) wrote, reduced to what a page can show without running anything.

Student content is hostile: a written answer, a markdown cell, an output displayed while grading
all reach Formgrader (at the Jupyter origin, with the instructor's session) and feedback pages.
``clean_html`` keeps what an answer legitimately needs (paragraphs, emphasis, lists, code, tables,
images as data or relative files, maths as text for MathJax) and drops everything else: script,
event handlers, style, meta, iframe, object, embed, forms, base, and links other than http, https,
mailto and in-page anchors. The allow-list is nh3's (ammonia, a maintained sanitiser); the URL rules
are applied per attribute after parsing, so a ``javascript:`` link written in markdown is caught too.

``with_csp`` gives every page this project writes a Content-Security-Policy that forbids script,
frames, forms and a ``<base>``: defence in depth should something slip past the allow-list.
"""
import html
import re
from html.parser import HTMLParser

import nh3

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q",
    "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "u", "ul", "var",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
    **{f"h{level}": {"id"} for level in range(1, 7)},  # nbconvert's heading anchors: the notebook's own links
    "*": {"class"},
}
# Classes the page's own CSS could turn into an overlay are out: only pygments' short token
# classes (code highlighting) and the notebook's own "highlight" wrapper survive.
CLASS = re.compile(r"^(?:[a-z][a-z0-9]{0,2}|highlight|dataframe|anchor-link)$")
HEADING_ID = re.compile(r"^[^\s\"'<>`]{1,200}$")  # nbconvert's anchors keep punctuation: "Part-1:-Linear,-ReLU"
IMAGE_DATA = re.compile(r"^data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$")
RELATIVE_FILE = re.compile(r"^(?!.*\.\.)(?!.*//)[\w][\w ./-]*$")
LINK = re.compile(r"^(?:https?://|mailto:|#)", re.IGNORECASE)  # or a relative file (RELATIVE_FILE)
DIMENSION = re.compile(r"^\d{1,5}%?$")


LINK_REL = "noopener noreferrer nofollow"  # what clean_html gives every link


def _keep_attribute(tag, name, value):
    if name == "class":
        kept = " ".join(c for c in value.split() if CLASS.match(c))
        return kept or None
    if name == "id":
        return value if HEADING_ID.match(value) else None
    if name == "href":
        value = value.strip()
        return value if LINK.match(value) or RELATIVE_FILE.match(value) else None
    if name == "src":
        value = value.strip()
        return value if IMAGE_DATA.match(value) or RELATIVE_FILE.match(value) else None
    if name in ("width", "height", "colspan", "rowspan", "start"):
        return value if DIMENSION.match(value.strip()) else None
    return value


def clean_html(fragment):
    """``fragment`` with only allow-listed tags, attributes and URLs (script and style dropped with their text)."""
    return nh3.clean(fragment, tags=TAGS, attributes=ATTRIBUTES, attribute_filter=_keep_attribute,
                     clean_content_tags={"script", "style", "noscript", "template", "textarea", "title",
                                         "xmp", "iframe", "noembed", "noframes", "plaintext"},
                     url_schemes={"http", "https", "mailto", "data"}, link_rel=LINK_REL,
                     strip_comments=True)


class _Tokens(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tokens = []

    def handle_starttag(self, tag, attrs):
        kept = sorted((name, value or "") for name, value in attrs if not (tag == "a" and name == "rel"))
        self.tokens.append(("start", tag, tuple(kept)))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        self.tokens.append(("end", tag))

    def handle_data(self, data):
        if self.tokens and self.tokens[-1][0] == "text":
            data = self.tokens.pop()[1] + data
        self.tokens.append(("text", data))

    def handle_comment(self, data):
        self.tokens.append(("comment", data))

    def handle_decl(self, decl):
        self.tokens.append(("decl", decl))

    def handle_pi(self, data):
        self.tokens.append(("pi", data))

    def unknown_decl(self, data):
        self.tokens.append(("decl", data))


VOID_TAGS = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr"}


def tokens(fragment):
    parser = _Tokens()
    parser.feed(fragment)
    parser.close()
    return parser.tokens


def cleaning_changes(fragment):
    """Whether ``clean_html`` takes anything from ``fragment``, not just writes it differently.

    nh3 serialises what it keeps its own way (``&#8212;`` as ``—``, ``<br />`` as ``<br>``) and gives
    links ``rel``; a cell that differs only so is kept as written, so a notebook's own headings, links
    and formulas (which MathJax or the feedback page's MathML need as markdown) survive cleaning.
    """
    cleaned = clean_html(fragment)
    return cleaned != fragment and tokens(cleaned) != tokens(fragment)


NOT_IN_NAMES = re.compile(r"[<>\"`\x00-\x1f\x7f]")


def plain_name(name):
    """A person's name as it may enter the gradebook: without ``< > " `` and control characters.

    Formgrader prints names into its pages unescaped; no real name needs these characters
    (an apostrophe, as in O'Brien, stays: it cannot open a tag).
    """
    return " ".join(NOT_IN_NAMES.sub(" ", name).split())


def escape_text(text):
    """Plain text for any HTML context (text or quoted attribute)."""
    return html.escape(text, quote=True)


# No script of any kind, no frames, no plugins, no forms, no <base>; the pages' own styles and
# images (inline, data: URIs and files beside the page) still load.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'none'; object-src 'none'; frame-src 'none'; "
                           "child-src 'none'; worker-src 'none'; form-action 'none'; base-uri 'none'; "
                           "style-src 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:")
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)


def with_csp(page):
    """``page`` (a whole HTML document) with the policy as the first element of its <head>.

    First, so it rules everything after it; a page without a <head> gets one at the top.
    """
    match = HEAD.search(page)
    if match is None:
        return CSP_META + "\n" + page
    return page[:match.end()] + "\n" + CSP_META + page[match.end():]
