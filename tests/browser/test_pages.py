"""The pages people read: the class report and a student's feedback, opened in a real browser."""
import pathlib
import urllib.parse

import pytest

# Every <img> loaded, every link leads somewhere, headings and alt text present.
AUDIT = """() => {
  const images = [...document.images].map(i => ({src: i.getAttribute('src'), alt: i.getAttribute('alt') || '',
                                                 loaded: i.complete && i.naturalWidth > 0}));
  const links = [...document.querySelectorAll('a[href]')].map(a => ({href: a.getAttribute('href'), url: a.href}));
  const ids = [...document.querySelectorAll('[id], a[name]')].map(e => e.id || e.getAttribute('name'));
  const headings = [...document.querySelectorAll('h1, h2')].map(h => h.textContent.trim());
  return {images, links, ids, headings, title: document.title};
}"""


def broken_links(audit):
    broken = []
    for link in audit["links"]:
        href, url = link["href"], urllib.parse.urlparse(link["url"])
        if href.startswith("#"):
            # browsers try the fragment as written, then percent-decoded (nbconvert's heading ids are encoded)
            if not {href[1:], urllib.parse.unquote(href[1:])} & set(audit["ids"]) and href != "#top":
                broken.append(href)
        elif url.scheme == "file":
            if not pathlib.Path(urllib.parse.unquote(url.path)).exists():
                broken.append(href)
        elif url.scheme not in ("http", "https", "mailto"):  # web links: no network here to follow them
            broken.append(href)
    return broken


BOB_FEEDBACK = "feedback/bob/task4_1/numpy_neural_network.html"  # nbgrader's layout


@pytest.mark.parametrize("page_name", ["report.html", BOB_FEEDBACK])
def test_page_renders_with_images_links_headings_and_alt_text(graded_class, page, shots, page_name):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto((graded_class / page_name).as_uri())
    page.wait_for_load_state("load")
    audit = page.evaluate(AUDIT)
    assert audit["title"] and audit["headings"], f"{page_name}: no title or no h1/h2 headings"
    assert all(i["loaded"] for i in audit["images"]), \
        f"{page_name}: images not loaded: {[i['src'] for i in audit['images'] if not i['loaded']]}"
    assert all(i["alt"].strip() for i in audit["images"]), f"{page_name}: an image has no alt text"
    assert not broken_links(audit), f"{page_name}: broken links {broken_links(audit)}"
    assert not errors, f"{page_name}: script errors {errors}"
    shots(page, "report" if page_name == "report.html" else "feedback", full_page=page_name == "report.html")


def test_report_links_every_student_to_their_feedback(graded_class, page):
    page.goto((graded_class / "report.html").as_uri())
    links = page.locator("a", has_text="feedback")
    assert links.count() == 3, "one feedback link per graded student"
    with page.expect_navigation():
        page.locator("tr", has_text="bob").locator("a", has_text="feedback").click()
    assert page.url.endswith(BOB_FEEDBACK)
    assert page.get_by_text("SGD").first.is_visible()
