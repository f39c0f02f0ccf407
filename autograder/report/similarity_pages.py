"""The HTML page of one flagged pair (see similarity.py): both students' code side by side.

Self-contained (inline CSS, no script, no external resource); every piece of student text, ids
included, is HTML-escaped, because student code is hostile. Written atomically.
"""
import html

from autograder.course.atomic_files import write_atomically
from autograder.course.safe_html import with_csp

PALETTE = ("#ffe08a", "#a8e6a1", "#9fd3ff", "#ffb3c7", "#d4b8ff", "#ffc98f",
           "#b5f0e6", "#e6e6a1", "#c7d0ff", "#f2b8a0", "#c2f0a8", "#e0c2e8")

CANNOT_SEE = (
    "Work rewritten by hand, the same idea in other code, looks independent.",
    "Short answers that every correct student writes alike are cut as common code, so a copy made only "
    "of them is not flagged, and neither are lines a large share of the class copied from one source.",
    "Only the solution code cells are compared: cells a student added and markdown answers are not.",
    "A high score means the two submissions share distinctive code; it does not say who copied from whom, "
    "or whether they worked together, were both given the code, or copied from a third source.",
    "A flag is a reason to look at the code below, never evidence on its own.",
)

CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; } h3 { font-size: 1em; margin: 1.2em 0 .3em; }
.score { font-size: 1.1em; } .muted { color: #666; }
.note { background: #f5f5f5; border-left: 4px solid #999; padding: .5em 1em; max-width: 60em; }
table { border-collapse: collapse; }
td, th { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
table.side { width: 100%; table-layout: fixed; } table.side td { width: 50%; }
.code { display: flex; overflow-x: auto; }
pre { margin: 0; font-size: 12px; line-height: 1.35; white-space: pre; }
pre.ln { color: #999; text-align: right; padding-right: .6em; user-select: none; }
mark { color: inherit; }
.swatch { display: inline-block; width: 1.2em; height: 1em; vertical-align: middle; }
"""


def _e(text):
    return html.escape(str(text), quote=True)


def _lines(source, offset):
    """1-based line number of character ``offset`` in ``source``."""
    return source.count("\n", 0, offset) + 1


def _highlighted(source, regions, own_lines):
    """Escaped ``source``; the student's own code inside each (start, end, match index) region is in a
    <mark> of that match's colour (a region can reach over a given line: that line stays unmarked)."""
    own = [False] * len(source)
    for start, end in own_lines:
        own[max(start, 0):min(end, len(source))] = [True] * (min(end, len(source)) - max(start, 0))
    owner = [None] * len(source)
    for start, end, index in regions:
        for position in range(max(start, 0), min(end, len(source))):
            if owner[position] is None and own[position]:  # the first match claiming a character keeps it
                owner[position] = index
    parts, run_start = [], 0
    for position in range(1, len(source) + 1):
        if position == len(source) or owner[position] != owner[run_start]:
            text, index = _e(source[run_start:position]), owner[run_start]
            if index is None:
                parts.append(text)
            else:
                parts.append(f'<mark style="background:{PALETTE[index % len(PALETTE)]}" '
                             f'title="match {index + 1}">{text}</mark>')
            run_start = position
    return "".join(parts)


def _code_block(source, regions, own_lines):
    if source is None:
        return '<p class="muted">no code of their own in this cell (left as released)</p>'
    numbers = "\n".join(str(n) for n in range(1, source.count("\n") + 2))
    return (f'<div class="code"><pre class="ln">{numbers}</pre>'
            f'<pre class="src">{_highlighted(source, regions, own_lines)}</pre></div>')


def _where(code, span):
    source = code.get(span.cell, "")
    first, last = _lines(source, span.start), _lines(source, max(span.end - 1, span.start))
    return f"{span.cell}, line {first}" if first == last else f"{span.cell}, lines {first}-{last}"


def _matches_table(pair, report):
    code_a, code_b = report.code.get(pair.a, {}), report.code.get(pair.b, {})
    rows = []
    for index, match in enumerate(pair.matches):
        colour = PALETTE[index % len(PALETTE)]
        rows.append(f'<tr><td><span class="swatch" style="background:{colour}"></span> {index + 1}</td>'
                    f"<td>{_e(_where(code_a, match.a))}</td><td>{_e(_where(code_b, match.b))}</td>"
                    f"<td>{match.fingerprints}</td></tr>")
    return (f"<table><thead><tr><th>match</th><th>{_e(pair.a)}</th><th>{_e(pair.b)}</th><th>fingerprints</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _cells_section(pair, report):
    code_a, code_b = report.code.get(pair.a, {}), report.code.get(pair.b, {})
    own_a, own_b = report.own_lines.get(pair.a, {}), report.own_lines.get(pair.b, {})
    sections = []
    for cell in report.cells:
        if cell not in code_a and cell not in code_b:
            continue
        regions_a = [(m.a.start, m.a.end, i) for i, m in enumerate(pair.matches) if m.a.cell == cell]
        regions_b = [(m.b.start, m.b.end, i) for i, m in enumerate(pair.matches) if m.b.cell == cell]
        sections.append(f"<h3>cell <code>{_e(cell)}</code></h3><table class=\"side\"><tr>"
                        f"<th>{_e(pair.a)}</th><th>{_e(pair.b)}</th></tr><tr>"
                        f"<td>{_code_block(code_a.get(cell), regions_a, own_a.get(cell, []))}</td>"
                        f"<td>{_code_block(code_b.get(cell), regions_b, own_b.get(cell, []))}</td></tr></table>")
    return "".join(sections)


def _summary(pair, report):
    sizes = report.fingerprints
    settings = report.settings
    group = report.group_of(pair.a)
    group_line = ""
    if group:
        members = ", ".join(_e(s) for s in report.groups[group - 1])
        group_line = f"<p>Both are in group {group} of students linked by flagged pairs: {members}.</p>"
    return (f'<p class="score">Score <b>{pair.score:.2f}</b> (pairs are flagged from {report.threshold:.2f}): '
            f"{pair.shared} shared fingerprints; {_e(pair.a)} has {sizes.get(pair.a, '?')}, "
            f"{_e(pair.b)} has {sizes.get(pair.b, '?')}. Score = shared / the smaller of the two.</p>"
            f"{group_line}"
            f'<p class="muted">A fingerprint is a run of {_e(settings.get("K", "?"))} tokens after renaming '
            f"variables and dropping comments, docstrings and layout; winnowing keeps one of every "
            f"{_e(settings.get('WINDOW', '?'))}. The release's own code, and fingerprints found in more than "
            f"{report.common_cut} of the {report.compared} submissions compared (common code), are not counted. "
            f"The same colour marks the same match on both sides; only the students' own lines are "
            f"highlighted, never the code the release gave them.</p>")


def page_html(pair, report):
    """The page's HTML text (see write_pair_page)."""
    title = f"Similar code: {pair.a} and {pair.b}"
    notes = "".join(f"<li>{_e(line)}</li>" for line in CANNOT_SEE)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f"<style>{CSS}</style></head><body>"
            f"<h1>Similar code: <code>{_e(pair.a)}</code> and <code>{_e(pair.b)}</code></h1>"
            f"{_summary(pair, report)}"
            f'<div class="note"><b>What this cannot see</b><ul>{notes}</ul></div>'
            f"<h2>Matching passages</h2>{_matches_table(pair, report)}"
            f"<h2>Code, cell by cell</h2>{_cells_section(pair, report)}"
            f"</body></html>\n")


def write_pair_page(pair, report, path):
    """Write ``pair``'s page (a SimilarityReport's Pair) to ``path``, atomically; return the path."""
    write_atomically(path, with_csp(page_html(pair, report)))
    return path
