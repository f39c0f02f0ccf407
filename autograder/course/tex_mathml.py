"""TeX maths as MathML, so feedback pages show formulas with no script and no network.

Feedback pages forbid script (``safe_html.with_csp``), so MathJax cannot typeset them, and a
page opened offline could not fetch it anyway. Browsers draw MathML themselves, so each formula is
converted once, when the page is written (latex2mathml), then reduced to a MathML-only allow-list:
the converter passes ``\\href`` and ``\\style`` through as attributes and ``\\text{...}`` through as
markup, and a student writes the TeX. A formula the converter cannot read stays as its TeX source,
escaped, in ``<code>``.
"""
import nh3
from latex2mathml.converter import convert

from autograder.course.safe_html import escape_text

MATH_TAGS = {
    "math", "mrow", "mi", "mn", "mo", "mtext", "mspace", "ms", "msub", "msup", "msubsup", "mfrac", "msqrt",
    "mroot", "mstyle", "mtable", "mtr", "mtd", "munder", "mover", "munderover", "mpadded", "mphantom",
    "menclose", "merror",
}
MATH_ATTRIBUTES = {"display", "mathvariant", "displaystyle", "scriptlevel", "stretchy", "fence", "form", "separator",
                   "minsize", "maxsize", "largeop", "movablelimits", "accent", "accentunder", "columnalign",
                   "rowalign", "columnspan", "rowspan", "width", "height", "depth", "lspace", "rspace",
                   "linethickness", "notation"}


def clean_mathml(markup):
    """``markup`` reduced to presentation MathML: no HTML inside it, no links, styles or ids."""
    return nh3.clean(markup, tags=MATH_TAGS, attributes={tag: MATH_ATTRIBUTES for tag in MATH_TAGS},
                     clean_content_tags={"script", "style"}, url_schemes=set(), link_rel=None, strip_comments=True)


def tex_to_mathml(tex, display=False):
    """MathML for the TeX formula ``tex`` (block layout when ``display``), or its source as escaped code."""
    try:
        markup = convert(tex, display="block" if display else "inline")
    # the converter raises its own ten types and Python's (StopIteration, IndexError) on TeX it cannot
    # read; whatever it raises, a student's formula must not cost them their feedback page
    except Exception:  # noqa: BLE001 - any error of the converter means: show the source
        markup = ""
    cleaned = clean_mathml(markup) if markup else ""
    if "<math" not in cleaned:
        delimiter = "$$" if display else "$"
        return f"<code>{escape_text(delimiter + tex + delimiter)}</code>"
    return cleaned
