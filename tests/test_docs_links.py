"""Every relative link and image in the project's Markdown leads somewhere: the file exists, and a
``#anchor`` names a heading of the target Markdown file (GitHub's slugs) or an element id in it.

Checked: README.md, docs/**/*.md, notebooks/README.md, benchmarks/README.md, data/README.md and the
student guide, in source/ and as released. Links inside code blocks and code spans are text, not links.
"""
import re
import unicodedata
import urllib.parse

import pytest

from autograder.course import layout

REPO = layout.REPO
STUDENT_GUIDE = "README.md"  # beside the assignment's notebook, released with it


def markdown_files():
    files = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md")), REPO / "notebooks" / "README.md",
             REPO / "benchmarks" / "README.md", REPO / "data" / "README.md",
             layout.SOURCE_DIR / STUDENT_GUIDE, layout.RELEASE_DIR / STUDENT_GUIDE]
    return [path for path in files if path.is_file()]


FILES = markdown_files()

FENCE = re.compile(r"^ {0,3}(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
# [text](target "title") and ![alt](target); the text may hold one level of brackets (an image in a link)
INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)", re.MULTILINE)
HTML_TARGET = re.compile(r"<(?:a|img|source)\b[^>]*?\b(?:href|src)\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
HTML_ID = re.compile(r"<[a-z]+\b[^>]*?\b(?:id|name)\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
LINK_TEXT = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\([^)]*\)")
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def prose_lines(text, blank_code_spans=True):
    """The lines outside fenced code blocks, their code spans blanked (headings keep theirs: GitHub slugs them)."""
    lines, fence = [], None
    for line in text.splitlines():
        opening = FENCE.match(line)
        if fence:
            if opening and line.strip().startswith(fence):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        lines.append(CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line) if blank_code_spans else line)
    return lines


def link_targets(text):
    prose = "\n".join(prose_lines(text))
    found = INLINE.findall(prose) + REFERENCE.findall(prose) + HTML_TARGET.findall(prose)
    return [target.strip("<>") for target in found]


def github_slug(heading):
    """GitHub's anchor for a heading: its text, lowercased, punctuation and symbols dropped, spaces to '-'."""
    text = LINK_TEXT.sub(r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text)
    kept = "".join(ch for ch in text.lower()
                   if ch in " -_" or unicodedata.category(ch)[0] in "LNM")
    return kept.replace(" ", "-")


def anchors(path):
    """Every anchor a link may name in the Markdown file: heading slugs (repeats get -1, -2, ...) and ids."""
    seen, found = {}, set()
    text = path.read_text(encoding="utf-8")
    for line in prose_lines(text, blank_code_spans=False):
        heading = ATX_HEADING.match(line)
        if heading:
            slug = github_slug(heading.group(1))
            found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
            seen[slug] = seen.get(slug, 0) + 1
    found.update(HTML_ID.findall(text))
    return found


def broken_links(path):
    problems = []
    for target in link_targets(path.read_text(encoding="utf-8")):
        if SCHEME.match(target) or target.startswith("//"):
            continue  # a web address: not checked here
        file_part, _, fragment = target.partition("#")
        file_part = urllib.parse.unquote(file_part.split("?")[0])
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.exists():
            shown = resolved.relative_to(REPO) if resolved.is_relative_to(REPO) else resolved
            problems.append(f"{target}: no such file {shown}")
        elif fragment and resolved.suffix == ".md" and urllib.parse.unquote(fragment) not in anchors(resolved):
            problems.append(f"{target}: {resolved.name} has no heading or id for #{fragment}")
    return problems


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(REPO)) for p in FILES])
def test_every_relative_link_and_image_resolves(path):
    problems = broken_links(path)
    assert not problems, f"{path.relative_to(REPO)}:\n  " + "\n  ".join(problems)


def test_the_guides_and_the_student_guide_are_checked():
    names = {str(p.relative_to(REPO)) for p in FILES}
    for expected in ("README.md", "docs/instructor.md", "docs/grading.md", "docs/architecture.md",
                     "docs/contributing.md", "notebooks/README.md", f"source/{layout.ASSIGNMENT}/{STUDENT_GUIDE}",
                     f"release/{layout.ASSIGNMENT}/{STUDENT_GUIDE}"):
        assert expected in names, f"{expected} is missing"


@pytest.mark.parametrize("heading, slug", [
    ("Grading the written answer in Formgrader", "grading-the-written-answer-in-formgrader"),
    ("4. Due dates and late work", "4-due-dates-and-late-work"),
    ("Task 4.1 — NumPy Neural Network from Scratch", "task-41--numpy-neural-network-from-scratch"),
    ("`make test`: every tier", "make-test-every-tier"),
    ("What a student cannot do (tested with real accounts by `make test-hub`)",
     "what-a-student-cannot-do-tested-with-real-accounts-by-make-test-hub"),
    ("[The course hub](docs/hub.md) and snake_case", "the-course-hub-and-snake_case"),
])
def test_slugs_follow_githubs_rules(heading, slug):
    assert github_slug(heading) == slug


def test_a_missing_file_and_a_missing_heading_are_reported(tmp_path):
    (tmp_path / "other.md").write_text("# Present heading\n\n## Twice\n\n## Twice\n")
    page = tmp_path / "page.md"
    page.write_text("[ok](other.md#present-heading) [ok](other.md#twice-1) [ok](#local) ![x](<other.md>)\n"
                    "[gone](missing.md) [bad](other.md#absent) `[code](missing-in-code.md)`\n\n"
                    "```\n[fenced](missing-in-fence.md)\n```\n## Local\n")
    assert broken_links(page) == [f"missing.md: no such file {tmp_path / 'missing.md'}",
                                  "other.md#absent: other.md has no heading or id for #absent"]
