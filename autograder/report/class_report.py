"""grades.csv and the class report (report.html + PNG plots) for one graded class.

Both take the per-student ``Result`` rows of grading.class_run and ``cells_order``, the
[(grade_id, points)] of the graded cells in notebook order. Every file is written
atomically, so a crash or a concurrent reader never sees half a report.
"""
import collections
import csv
import datetime
import html
import io
import math
import pathlib
import statistics
import urllib.parse

from autograder import late_work
from autograder.course.atomic_files import atomic_open
from autograder.course.safe_html import with_csp
from autograder.report import copied_work, misconceptions
from autograder.result import Status

PLOTS = ("scores.png", "pass_rate.png", "grading_time.png")
NO_DATA = "no graded submissions"


# ---------------------------------------------------------------- small helpers

def _num(value, places=3):
    """A number without trailing-zero noise: 23, 0.5, 21.333; '' for None/NaN."""
    if value is None:
        return ""
    value = float(value)
    if math.isnan(value):
        return ""
    text = f"{round(value, places):.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _by_id(results):
    """Results sorted by student_id (as text, so odd ids cannot break sorting)."""
    return sorted(results, key=lambda r: r.student_id)


def _graded(results):
    return [r for r in results if r.status == Status.GRADED]


def _is_late(result):
    return bool(result.late_seconds or (result.reported_late and result.penalty_percent))


def _late(results):
    return [r for r in results if _is_late(r)]


def _max_total(results, cells_order):
    """The assignment's maximum: the sum of cell points, else the largest max_score seen."""
    if cells_order:
        return float(sum(points for _, points in cells_order))
    return max((float(r.max_score) for r in results), default=0.0)


# ---------------------------------------------------------------- grades.csv

def format_score(result):
    """'14/25', or 'not graded' when the row has no score (a grader error)."""
    if result.score is None:
        return "not graded"
    return f"{float(result.score):g}/{float(result.max_score):g}"


def _cell_value(result, grade_id):
    """Points of one cell for the CSV: blank while awaiting manual grading, 0 when missing."""
    cell = result.cells.get(grade_id)
    if result.score is None:
        return ""  # not graded at all: no cell has a score yet
    if cell is None:
        return "0"
    if cell.get("needs_manual"):
        return ""
    return _num(cell.get("score") or 0)


def write_grades_csv(results, cells_order, path):
    """Write one row per student (sorted by id) to ``path``; return the path.

    Columns: student_id, total, max, status, detail, one per grade_id in notebook
    order (blank = awaits manual grading), seconds, then late work: submitted_at (UTC),
    late_by (blank = on time), penalty_percent and final_score (the total after the penalty).
    """
    path = pathlib.Path(path)
    grade_ids = [grade_id for grade_id, _ in cells_order]
    with atomic_open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "total", "max", "status", "detail", *grade_ids, "seconds",
                         "submitted_at", "late_by", "penalty_percent", "final_score"])
        for result in _by_id(results):
            writer.writerow([
                result.student_id, _num(result.score), _num(result.max_score), result.status, result.detail,
                *(_cell_value(result, grade_id) for grade_id in grade_ids), _num(result.seconds, places=1),
                result.submitted_at, late_by(result, parts=2), _num(result.penalty_percent), _num(result.final_score)])
    return path


def late_by(result, parts=3):
    """'1 day 2 h' after the due date; 'late (no time given)' when the LMS said so; '' when on time."""
    if result.late_seconds:
        return late_work.format_duration(result.late_seconds, parts)
    return "late (no time given)" if _is_late(result) else ""


# ---------------------------------------------------------------- statistics

def _manual_cells(results):
    """grade_ids a person grades: awaiting a person for some graded student, or scored by one (after publish)."""
    return {grade_id for r in _graded(results) for grade_id, cell in r.cells.items()
            if cell.get("needs_manual") or cell.get("manual")}


def cell_pass_rates(results, cells_order):
    """[(grade_id, points, passed, graded, pending_manual, is_manual)] in notebook order.

    ``passed`` counts graded students with full points on the cell; a missing cell is 0.
    """
    graded = _graded(results)
    manual = _manual_cells(results)
    rows = []
    for grade_id, points in cells_order:
        cells = [r.cells.get(grade_id) for r in graded]
        pending = sum(1 for c in cells if c and c.get("needs_manual"))
        passed = sum(1 for c in cells if c and not c.get("needs_manual")
                     and float(c.get("score") or 0) >= float(points) - 1e-9)
        rows.append((grade_id, points, passed, len(graded), pending, grade_id in manual))
    return rows


def score_summary(results):
    """{'mean','median','min','max'} of graded totals after late penalties, or None when nobody was graded."""
    totals = [float(r.final_score or 0) for r in _graded(results)]
    if not totals:
        return None
    return {"mean": statistics.fmean(totals), "median": statistics.median(totals),
            "min": min(totals), "max": max(totals)}


# ---------------------------------------------------------------- plots

def _figure(width, height):
    """A pyplot-free Agg figure: no global state, safe in threads and headless runs."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def warm_up():
    """Import matplotlib and load its fonts now (class grading calls this while the kernels run)."""
    figure = _figure(1, 1)
    figure.add_subplot().set_title("warm-up")
    figure.savefig(io.BytesIO(), format="png")


def _save_png(figure, path):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    with atomic_open(path, "wb") as handle:
        handle.write(buffer.getvalue())


def _no_data(ax, title):
    """Mark an empty plot instead of drawing nothing (or crashing on empty arrays)."""
    ax.set_title(title)
    ax.text(0.5, 0.5, NO_DATA, ha="center", va="center", fontsize=14, color="0.4", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_scores(results, cells_order, path):
    """Histogram of graded totals after late penalties on 0..max with mean and median lines."""
    from matplotlib.ticker import MaxNLocator

    figure = _figure(7, 4)
    ax = figure.add_subplot()
    totals = [float(r.final_score or 0) for r in _graded(results)]
    top = _max_total(results, cells_order) or max(totals, default=1.0) or 1.0
    title = "Total scores of graded submissions" + (" after late penalties" if _late(results) else "")
    if not totals:
        _no_data(ax, title)
    else:
        # bins one point wide (wider for big maxima) centred on whole points
        step = max(1, math.ceil(top / 40))
        edges = [k - 0.5 * step for k in range(0, int(math.ceil(top)) + step + 1, step)]
        counts, _, _ = ax.hist(totals, bins=edges, color="#4C72B0", edgecolor="white",
                               label=f"students (n={len(totals)})")
        ax.set_ylim(0, max(counts) * 1.3)  # headroom so the legend need not cover a bar
        mean, median = statistics.fmean(totals), statistics.median(totals)
        ax.axvline(mean, color="#C44E52", lw=2, label=f"mean {_num(mean, 2)}")
        ax.axvline(median, color="#DD8452", lw=2, ls="--", label=f"median {_num(median, 2)}")
        ax.set_xlim(-0.5 * step, top + 0.5 * step)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=min(26, int(top) + 1)))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(f"total points (max {_num(top)})")
        ax.set_ylabel("students")
        ax.set_title(title)
        ax.legend(loc="best", frameon=True, framealpha=0.9)
        ax.grid(axis="y", alpha=0.3)
    _save_png(figure, path)


def plot_pass_rate(results, cells_order, path):
    """Horizontal bars: share of graded students with full points per auto-graded cell."""
    rows = [row for row in cell_pass_rates(results, cells_order) if not row[5]]
    graded = len(_graded(results))
    empty = not rows or not graded
    figure = _figure(8, 3.6 if empty else 1.2 + 0.32 * max(len(rows), 3))  # one bar every ~0.3 inch
    ax = figure.add_subplot()
    title = "Full points per automatically graded cell"
    if empty:
        _no_data(ax, title)
    else:
        positions = range(len(rows))
        shares = [100 * passed / total for _, _, passed, total, _, _ in rows]
        ax.barh(positions, shares, color="#4C72B0", height=0.7)
        ax.set_yticks(positions, [f"{gid} ({_num(pts)} pt)" for gid, pts, *_ in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)  # notebook order top to bottom
        ax.set_xlim(0, 100)
        ax.set_xlabel(f"% of graded students with full points (N={graded})")
        ax.set_title(title)
        ax.grid(axis="x", alpha=0.3)
        # n/N on a twin axis on the right: it takes part in the layout, so never overlaps
        counts = ax.twinx()
        counts.set_ylim(ax.get_ylim())
        counts.set_yticks(positions, [f"{passed}/{total} ({share:.0f}%)"
                                      for (_, _, passed, total, _, _), share in zip(rows, shares, strict=True)])
        counts.tick_params(axis="y", length=0)
    _save_png(figure, path)


def plot_grading_time(results, path):
    """Grading seconds per submission, sorted, coloured by status, with the median."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

    timed = sorted(((float(r.seconds), str(r.status)) for r in results if r.seconds > 0), key=lambda item: item[0])
    figure = _figure(7, 3.6)
    ax = figure.add_subplot()
    title = "Grading time per submission"
    if not timed:
        _no_data(ax, title)
    else:
        palette = {Status.GRADED: "#4C72B0", Status.TIMEOUT: "#C44E52"}
        seconds = [s for s, _ in timed]
        positions = range(1, len(timed) + 1)
        ax.bar(positions, seconds, width=0.85, color=[palette.get(status, "#DD8452") for _, status in timed])
        median = statistics.median(seconds)
        line = ax.axhline(median, color="black", lw=1.5, ls="--", label=f"median {_num(median, 1)} s")
        statuses = {status for _, status in timed}
        handles = [Patch(color=palette.get(s, "#DD8452"), label=s or "unknown") for s in sorted(statuses)]
        ax.legend(handles=[*handles, line], loc="upper left", framealpha=0.9)
        ax.set_xlim(0.4, len(timed) + 0.6)
        if len(timed) <= 20:
            ax.set_xticks(positions)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("submissions, sorted by grading time")
        ax.set_ylabel("seconds")
        if max(seconds) > 8 * median:
            # one timeout would otherwise flatten every normal bar to the baseline
            ax.set_yscale("log")
            ax.set_ylabel("seconds (log scale)")
            ax.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            ax.yaxis.set_minor_formatter(NullFormatter())
            ax.set_ylim(min(seconds) / 1.5, max(seconds) * 3)  # headroom for the legend
        else:
            ax.set_ylim(0, max(seconds) * 1.35)  # headroom for the legend
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
    _save_png(figure, path)


# ---------------------------------------------------------------- report.html

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 980px;
       color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.detail { white-space: pre-wrap; max-width: 40em; }
img { max-width: 100%; display: block; margin: .5em 0 1.5em; }
.muted { color: #777; }
"""


def _table(headers, rows, numeric=()):
    """An HTML table; every cell is escaped. ``numeric`` columns are right-aligned."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            css = ' class="num"' if index in numeric else ' class="detail"' if headers[index] == "detail" else ""
            cells.append(f"<td{css}>{html.escape(str(value))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _counts_section(results):
    statuses = collections.Counter(str(r.status) for r in results)
    graded = statuses.pop(Status.GRADED, 0)
    rows = [("students", len(results)), ("graded", graded), ("not graded", sum(statuses.values()))]
    rows += [(f"\u2003{status}", count) for status, count in sorted(statuses.items(), key=lambda i: (-i[1], i[0]))]
    return "<h2>Submissions</h2>" + _table(["", "count"], rows, numeric={1})


def _scores_section(results, cells_order):
    summary = score_summary(results)
    top = _num(_max_total(results, cells_order))
    if summary is None:
        return f"<h2>Scores</h2><p class='muted'>{NO_DATA}</p>"
    rows = [(name, f"{_num(summary[name], 2)} / {top}") for name in ("mean", "median", "min", "max")]
    after = ", after late penalties" if _late(results) else ""
    return f"<h2>Scores (graded students{after})</h2>" + _table(["", "points"], rows, numeric={1})


def _plots_section():
    alts = {"scores.png": "histogram of total scores", "pass_rate.png": "full-points rate per cell",
            "grading_time.png": "grading time per submission"}
    images = "".join(f'<img src="report/{name}" alt="{alts[name]}">' for name in PLOTS)
    return "<h2>Plots</h2>" + images


def _late_summary(results):
    """'3 of 30 submissions late (1 scoring zero)', or that nothing is late; and whose times are unknown."""
    late = _late(results)
    zero = sum(r.penalty_percent >= 100 for r in late)
    said = (f"{len(late)} of {len(results)} submissions late" + (f" ({zero} scoring zero)" if zero else "")
            if late else "no submission is late")
    return said + (f"; {untimed_note(results)}" if untimed_note(results) else "")


def untimed_note(results):
    """What the report and the terminal say of graded submissions without a submission time ("" if none)."""
    untimed = sum(r.score is not None and not r.submitted_at and bool(r.late_note) for r in results)  # a due date
    if not untimed:
        return ""
    return (f"{untimed} of {len(results)} graded submissions have no submission time (a plain folder or zip carries "
            "none), so late work could not be applied to them. To apply it, grade nbgrader's submitted/ tree "
            "(each notebook with its timestamp.txt) or the Canvas or Moodle download, which carry the times")


def _late_cell(result):
    """'1 day 2 h: −10% → 12.6' for a late row, '' otherwise."""
    if not _is_late(result):
        return ""
    after = f" → {_num(result.final_score)}" if result.score is not None else ""
    return f"{late_by(result, parts=2)}: −{_num(result.penalty_percent)}%{after}"


def _problems_section(results):
    problems = [r for r in _by_id(results) if r.status != Status.GRADED]
    if not problems:
        return "<h2>Not graded</h2><p class='muted'>every submission was graded</p>"
    rows = [(r.student_id, r.status, r.detail) for r in problems]
    return f"<h2>Not graded ({len(problems)})</h2>" + _table(["student_id", "status", "detail"], rows)


def _feedback_href(out_dir, student, task):
    """The student's feedback page relative to the report, or None when there is none."""
    page = task.student_notebook(out_dir, "feedback", student, ".html")
    return page.relative_to(out_dir).as_posix() if page.is_file() else None


def _students_section(results, out_dir, task):
    """One row per student: score, status, what a person still has to grade, a link to the feedback page."""
    rows = []
    for r in _by_id(results):
        student = r.student_id
        href = _feedback_href(out_dir, student, task)
        link = (f'<a href="{urllib.parse.quote(href)}">feedback</a>' if href
                else "<span class='muted'>none</span>")
        pending = sorted(g for g, c in r.cells.items() if c.get("needs_manual"))
        waiting = f"awaits a person: {', '.join(pending)}" if pending else ""
        rows.append("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in (student, format_score(r), _late_cell(r),
                                                                          str(r.status), waiting))
                    + f"<td>{link}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("student_id", "score", "late", "status", "manual grading", "feedback"))
    return f"<h2>Students</h2><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _cells_section(results, cells_order):
    rows = []
    for grade_id, points, passed, total, pending, manual in cell_pass_rates(results, cells_order):
        share = f"{100 * passed / total:.0f}%" if total else "\u2013"
        note = f"manual grading, {pending} pending" if manual else "automatic"
        rows.append((grade_id, _num(points), f"{passed}/{total}", share, note))
    if not rows:
        return "<h2>Cells</h2><p class='muted'>no graded cells</p>"
    return ("<h2>Full points per cell</h2>"
            + _table(["grade_id", "points", "full points", "share", "grading"], rows, numeric={1, 2, 3}))


def write_class_report(results, cells_order, out_dir, task, title=None, release_notebook=None):
    """Write ``out_dir/report.html``, its plots in ``out_dir/report/``, misconceptions.csv and
    similarity.csv with a page per flagged pair in ``out_dir/similarity/``; return the HTML path.

    ``task``: the Assignment graded; ``title``: the page's (default: "<its title> — class report");
    ``release_notebook``: its student version (default: the one in ``out_dir``'s release/, else its course's).
    """
    out_dir = pathlib.Path(out_dir)
    plots = out_dir / "report"
    plots.mkdir(parents=True, exist_ok=True)
    plot_scores(results, cells_order, plots / "scores.png")
    plot_pass_rate(results, cells_order, plots / "pass_rate.png")
    plot_grading_time(results, plots / "grading_time.png")

    title = title or f"{task.title} \u2014 class report"
    if release_notebook is None:  # the output course's copy; else the one beside the assignment's source/
        release_notebook = next((path for path in (task.release_notebook(out_dir),
                                                   task.release_notebook(task.folder.parents[1])) if path.is_file()),
                                task.release_notebook(out_dir))
    exercised = misconceptions.classes_exercised(task.source_notebook, tuple(task.classes.items()))
    mistakes = misconceptions.class_misconceptions(results, exercised, task.catalogue())
    similar = copied_work.compare(results, out_dir, release_notebook, task)
    misconceptions.write_csv(mistakes, out_dir / misconceptions.CSV_NAME)

    stamp = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    page = "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p class='muted'>generated {html.escape(stamp)}; "
        f"{html.escape(_late_summary(results))}</p>",
        _counts_section(results), _scores_section(results, cells_order), _plots_section(),
        _problems_section(results), _cells_section(results, cells_order),
        misconceptions.section_html(mistakes, lambda student: _feedback_href(out_dir, student, task)),
        copied_work.section_html(similar),
        _students_section(results, out_dir, task),
        "</body></html>", ""])
    path = out_dir / "report.html"
    with atomic_open(path, "w", encoding="utf-8") as handle:
        handle.write(with_csp(page))
    return path
