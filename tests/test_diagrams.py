"""Each drawing in docs/diagrams/ is committed as its Graphviz source (.dot) and the SVG the docs show,
and the SVG was drawn from the source as it is now: `make diagrams` (docs/diagrams/render.py) stamps
each SVG with the SHA-256 of its source, and this test recomputes it. No Graphviz needed here."""
import hashlib
import re

import pytest

from autograder.course import layout

DIAGRAMS = layout.REPO / "docs" / "diagrams"
SOURCES = sorted(DIAGRAMS.glob("*.dot"))
STAMP = re.compile(r"<!-- source-sha256: ([0-9a-f]{64}) ")


def test_there_are_drawings_and_every_svg_has_its_source():
    assert SOURCES, f"no *.dot in {DIAGRAMS}"
    orphans = [svg.name for svg in DIAGRAMS.glob("*.svg") if not svg.with_suffix(".dot").is_file()]
    assert not orphans, f"SVGs without a .dot source: {orphans}"


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_the_svg_was_drawn_from_this_source(source):
    svg = source.with_suffix(".svg")
    assert svg.is_file(), f"{svg.name} is missing: run `make diagrams` and commit it"
    stamp = STAMP.search(svg.read_text(encoding="utf-8")[:1000])
    assert stamp, f"{svg.name} carries no source-sha256 stamp: draw it with `make diagrams`"
    assert stamp.group(1) == hashlib.sha256(source.read_bytes()).hexdigest(), \
        f"{source.name} changed since {svg.name} was drawn: run `make diagrams` and commit both"
