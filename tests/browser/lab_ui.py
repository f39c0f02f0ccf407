"""What a person clicks in JupyterLab and nbgrader's Formgrader, shared by the browser and hub tiers.

Nothing here types an address: menus, the file browser, Formgrader's own links and buttons.
"""
import re
import time

from autograder.course import layout

FORMGRADER_SLOW = 300_000  # ms: a Formgrader action may run nbgrader on the whole class


def wait_for(condition, what, seconds=60):
    """Poll ``condition`` (what the server stored after a click) until it holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def menu(page, top, item, before_click=None):
    """Click ``top`` in JupyterLab's menu bar, then ``item`` in its menu (``before_click``: with it open)."""
    page.locator(".lm-MenuBar-item", has=page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$"))
                 ).click()
    entry = page.locator(".lm-Menu-item", has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(
        f"^{re.escape(item)}$")))
    if before_click:
        entry.hover()
        before_click()
    entry.click()


def wait_for_lab(page):
    page.locator(".lm-MenuBar-item").first.wait_for(timeout=120_000)
    page.locator(".jp-DirListing-content").first.wait_for(timeout=60_000)


def open_path(page, *names):
    """Double-click each name in turn in the file browser (folders, then the file)."""
    for name in names:
        page.locator(".jp-DirListing-item", has=page.locator(".jp-DirListing-itemText", has_text=re.compile(
            f"^{re.escape(name)}$"))).dblclick()


def open_formgrader(page):
    """Nbgrader → Formgrader: the frame of Formgrader's tab."""
    menu(page, "Nbgrader", "Formgrader")
    frame = page.frame_locator("iframe[src*='formgrader']")
    frame.locator("body").wait_for()
    return frame


def formgrader_action(frame, column, what):
    """Click the task4_1 row's action in Manage Assignments; (its success dialog, the dialog's text)."""
    frame.get_by_role("link", name="Manage Assignments").click()
    exactly = re.compile(rf"^\s*{re.escape(layout.ASSIGNMENT)}\s*$")  # not task4_1_companion
    name = frame.locator("td.name", has_text=exactly)
    row = frame.locator("#main-table tr", has=name)
    row.locator(f"td.{column} a").click()
    dialog = frame.locator("#success-modal, #error-modal").first
    dialog.wait_for(timeout=FORMGRADER_SLOW)
    dialog.get_by_role("button", name="OK").wait_for()
    time.sleep(0.5)  # Bootstrap fades the dialog in: a screenshot would catch it half drawn
    text = dialog.inner_text()
    assert dialog.get_attribute("id") == "success-modal", f"Formgrader could not {what}:\n{text}"
    return dialog, text


def open_submission(frame, assignment, notebook, shown_name):
    """Manual Grading → assignment → notebook → the submission of the student shown as ``shown_name``."""
    frame.get_by_role("link", name="Manual Grading").click()
    frame.get_by_role("link", name=assignment, exact=True).click()
    frame.get_by_role("link", name=notebook).click()
    frame.locator("#main-table a.name-hidden").first.wait_for()  # the submissions have loaded
    frame.locator("#toggle_names").click()
    frame.locator("#main-table a.name-shown", has_text=shown_name).click()
    wait_until_formgrade_is_ready(frame)


# Formgrader binds its score and comment boxes only once it has fetched their values, and then writes
# those values into them; MathJax, where it loads, then moves the focus. Typed before that, a score is
# lost. (Offline, MathJax's CDN is out of reach and formgrader.init stops early: its own `loaded` stays
# false, the grades and comments load all the same.)
FORMGRADE_READY = """() => location.pathname.includes('/submissions/') && typeof formgrader !== 'undefined'
    && formgrader.grades && formgrader.grades.loaded && formgrader.comments && formgrader.comments.loaded
    && (typeof MathJax === 'undefined' || MathJax.loaded !== false)"""


def wait_until_formgrade_is_ready(frame):
    """Wait, as a person waits for the page to settle, until the submission's page can take a score."""
    frame.owner.element_handle().content_frame().wait_for_function(FORMGRADE_READY, timeout=FORMGRADER_SLOW)


def give_score(frame, cell, score, comment=None):
    """Type a manual score (and comment) for ``cell``; Formgrader saves each on change."""
    field = frame.locator(f"input.score#{cell}")
    field.scroll_into_view_if_needed()
    field.fill(score)
    field.press("Tab")
    if comment is not None:
        box = frame.locator(f"textarea#{cell}-comment")
        box.fill(comment)
        box.press("Tab")
