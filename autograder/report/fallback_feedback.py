"""A plain feedback page for a graded notebook nbgrader could not write feedback for.

Every student whose notebook was graded gets a page: when ``generate_feedback`` fails
or grading stopped at the wall limit, this one says what was graded (points per test)
and where grading stopped.
"""
import html

from autograder.course.safe_html import with_csp


def page(student_id, status, detail, cells):
    """HTML: the reason, then one row per graded cell with its points."""
    rows = "".join(
        f"<tr><td>{html.escape(grade_id)}</td><td>"
        + ("graded by hand" if cell.get("needs_manual") else f"{cell.get('score') or 0:g} / {cell['max_score']:g}")
        + "</td></tr>"
        for grade_id, cell in cells.items())
    scored = [c for c in cells.values() if not c.get("needs_manual")]
    total = sum(c.get("score") or 0 for c in scored)
    possible = sum(c["max_score"] for c in scored)
    reason = html.escape(detail.splitlines()[0] if detail else status)
    return with_csp(f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Feedback: {html.escape(student_id)}</title></head>
<body>
<h1>Feedback for {html.escape(student_id)}</h1>
<p>Status: <strong>{html.escape(status)}</strong>. {reason}</p>
<p>Automatically graded points: {total:g} / {possible:g}.</p>
<table><thead><tr><th>test</th><th>points</th></tr></thead><tbody>{rows}</tbody></table>
</body></html>
""")
