"""What a student fetches before the due date: the preliminary feedback, or where their submission stands.

Every page is written into nbgrader's exchange where ``fetch_feedback`` finds it (inbox.feedback_file),
so the Assignments tab's Fetch Feedback shows it; the instructor's release_feedback later replaces it
with the official page. Everything a page says about the submission is escaped; the graded page is
the grader's own feedback page (hidden tests already removed) or, as the instructor chose, a table
built from the scores alone. No page runs script (safe_html.with_csp).
"""
import html
import re

from autograder.course.safe_html import with_csp
from autograder.kernel import diagnosis

BODY = re.compile(r"<body[^>]*>", re.IGNORECASE)
STYLE = ("font-family:sans-serif;max-width:52em;margin:1em auto;padding:0.8em 1em;border:2px solid #b7791f;"
         "background:#fffbea;color:#1a1a1a")


def when(moment):
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def allowance_line(allowance, settings):
    """How many graded submissions are left and when the next one is possible, in words."""
    window = f"{settings.window_hours:g} hours"
    if allowance.reason == "disabled":
        return "Preliminary grading is off for this assignment: every submission is graded after the due date."
    if allowance.reason == "quiet-period":
        return (f"Submissions in the last {settings.quiet_minutes_before_due:g} minutes before your due date are "
                "not graded early; this one is kept and graded after the due date.")
    left = f"Graded submissions left: {allowance.remaining} of {settings.max_graded} in any {window}"
    if allowance.next_at is not None and allowance.remaining == 0:
        return f"{left}; the next one is possible from {when(allowance.next_at)}."
    return f"{left}."


def _banner(paragraphs):
    inner = "".join(f"<p>{html.escape(text)}</p>" for text in paragraphs)
    return f'<div id="preliminary" style="{STYLE}"><h2>Preliminary result</h2>{inner}</div>'


def status_page(title, paragraphs):
    """A small page of its own: where a submission stands (queued, kept, not graded yet)."""
    return with_csp(f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>
<body>{_banner(paragraphs)}</body></html>
""")


def queued(received, ahead, line):
    return status_page("Queued for preliminary feedback", [
        f"Your submission of {when(received)} is queued: {ahead} ahead of it. Fetch feedback again in a "
        "minute or two to read its preliminary result.", line])


def kept(received, line):
    return status_page("Kept for grading after the due date", [
        f"Your submission of {when(received)} is kept and graded after the due date, as every submission "
        "is. Nothing is lost.", line])


def unreadable(received, detail):
    return status_page("Not graded: the notebook cannot be read", [
        f"Your submission of {when(received)} cannot be graded: {detail}. Open the notebook in JupyterLab, "
        "save it (File > Save Notebook) and submit again; this one did not count."])


def not_graded_yet(received):
    return status_page("Not graded yet", [
        f"Your submission of {when(received)} is not graded yet because of a problem on the grading "
        "machine, not in your work. No action needed: it is tried again, and it is graded after the due "
        "date in any case."])


def _intro(received, line, reused_from=None):
    first = (f"Your submission of {when(received)}, graded before the due date so you can still improve it. "
             "The official grade is given after the due date, from the submission the instructor collects; "
             "it runs the same tests.")
    if reused_from is not None:
        first += (f" This notebook is the same as your submission of {when(reused_from)}: its result again, not "
                  "graded again and not counted.")
    return [first, line]


def _named_mistakes(result, catalogue):
    titles = sorted({catalogue.get(cell["diagnosis"], cell["diagnosis"]) for cell in result.cells.values()
                     if cell.get("diagnosis")})
    return ["Mistakes the tests named: " + "; ".join(titles) + "."] if titles else []


def _points_table(result):
    rows = "".join(f"<tr><td>{html.escape(gid)}</td><td>{cell.get('score') or 0:g} / {cell['max_score']:g}</td></tr>"
                   for gid, cell in result.cells.items() if not cell.get("needs_manual"))
    return f"<table><thead><tr><th>part</th><th>points</th></tr></thead><tbody>{rows}</tbody></table>"


CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")


def visible_outcomes(autograded_notebook, visible_parts):
    """[(grade_id, passed, the failed visible check's message)] of the cells with a visible part: a cell
    counts as passed when it ran without error, or its error was raised after the visible part (in the
    hidden tests, which this view never reports)."""
    import nbformat

    notebook = nbformat.reads(autograded_notebook, as_version=4)
    outcomes = []
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id not in visible_parts:
            continue
        error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
        if error is None:
            outcomes.append((grade_id, True, ""))
            continue
        trace = diagnosis.ANSI.sub("", "\n".join(error.get("traceback", [])))
        lines = [int(n) for n in CELL_LINE.findall(trace)]
        in_visible = not lines or lines[0] <= visible_parts[grade_id]
        message = f"{error.get('ename', '')}: {error.get('evalue', '')}" if in_visible else ""
        outcomes.append((grade_id, not in_visible, message))
    return outcomes


def _visible_table(result, visible_parts):
    rows = "".join(f"<tr><td>{html.escape(gid)}</td><td>{'passed' if ok else 'failed'}</td>"
                   f"<td><pre>{html.escape(message)}</pre></td></tr>"
                   for gid, ok, message in visible_outcomes(result.autograded_notebook, visible_parts))
    return ("<table><thead><tr><th>visible checks</th><th></th><th>message</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def graded(result, shows, received, line, catalogue, visible_parts, reused_from=None):
    """The preliminary feedback, as the instructor chose to show it (policy.SHOWS); never hidden test code."""
    intro = _intro(received, line, reused_from)
    if shows == "named" and result.feedback_html:
        banner = _banner(intro + _named_mistakes(result, catalogue))
        page = result.feedback_html
        match = BODY.search(page)
        return page[:match.end()] + banner + page[match.end():] if match else banner + page
    if shows == "visible":
        body = ("<h3>The checks in your notebook, run on the grading machine</h3>"
                + _visible_table(result, visible_parts))
    else:
        scored = [c for c in result.cells.values() if not c.get("needs_manual")]
        total = f"{sum(c.get('score') or 0 for c in scored):g} / {sum(c['max_score'] for c in scored):g}"
        body = f"<h3>Points for each part: {html.escape(total)}</h3>" + _points_table(result)
    return with_csp(f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Preliminary result</title></head>
<body>{_banner(intro)}{body}</body></html>
""")
