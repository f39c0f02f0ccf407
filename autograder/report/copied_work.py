"""The class report's section on work that looks copied: similarity.csv, a page per flagged pair.

It compares the code of every scored submission's autograded notebook (the student's own cells,
as submitted) with report/similarity.py, and is written by `grade` and again by `publish`.
"""
import html
import shutil
import urllib.parse

from autograder.report import similarity

CSV_NAME = "similarity.csv"
PAGES = "similarity"


def compare(results, out_dir, release_notebook, task):
    """Fingerprint and compare the class's notebooks of ``task`` (starter code: ``release_notebook``); write the
    CSV and the pair pages; return the SimilarityReport."""
    notebooks = {r.student_id: task.student_notebook(out_dir, "autograded", r.student_id) for r in results
                 if r.scored}
    found = similarity.find_similar({sid: path for sid, path in notebooks.items() if path.is_file()},
                                    release_notebook)
    similarity.write_csv(found, out_dir / CSV_NAME)
    pages = out_dir / PAGES
    shutil.rmtree(pages, ignore_errors=True)  # pages of pairs an earlier run flagged
    for number, pair in enumerate(found.pairs, 1):
        pages.mkdir(exist_ok=True)
        similarity.write_pair_page(pair, found, pages / page_name(number))
    return found


def page_name(number):
    return f"pair-{number:04d}.html"


def section_html(found):
    """The report's section; '' when no pair is flagged."""
    if not found.pairs:
        return ""
    rows = []
    for number, pair in enumerate(found.pairs, 1):
        href = urllib.parse.quote(f"{PAGES}/{page_name(number)}")
        rows.append(f"<tr><td>{html.escape(pair.a)}</td><td>{html.escape(pair.b)}</td>"
                    f"<td class='num'>{pair.score:.2f}</td><td class='num'>{pair.shared}</td>"
                    f"<td class='num'>{found.group_of(pair.a) or ''}</td>"
                    f"<td><a href=\"{href}\">side by side</a></td></tr>")
    groups = "".join(f"<li>group {index}: {', '.join(html.escape(s) for s in group)}</li>"
                     for index, group in enumerate(found.groups, 1))
    head = "".join(f"<th>{h}</th>" for h in ("student", "student", "score", "shared", "group", "page"))
    count = f"{len(found.pairs)} pair" + ("s" if len(found.pairs) != 1 else "")
    return (f"<h2>Work that looks copied ({count})</h2>"
            f"<p class='muted'>The code students wrote (given code, comments and layout removed; renamed "
            f"variables and reordered methods still match), compared pair by pair among {found.compared} "
            f"submissions; flagged from a score of {found.threshold:g} (the share of the smaller submission's "
            f"distinctive code found in the other). A flag is a reason to look, never evidence on its own: it "
            f"cannot see work rewritten by hand, and lines every correct student writes alike are left out. "
            f"Also in {CSV_NAME}.</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            + (f"<p>Connected by flagged pairs:</p><ul>{groups}</ul>" if groups else ""))
