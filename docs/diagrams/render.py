"""Render every docs/diagrams/*.dot to the .svg beside it with Graphviz (`make diagrams`).

Each SVG carries the SHA-256 of the source it was drawn from, in a comment after the XML
declaration. tests/test_diagrams.py recomputes it (without Graphviz): a source changed
without `make diagrams` fails the fast tier.

    python docs/diagrams/render.py
"""
import hashlib
import pathlib
import shutil
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
STAMP = "<!-- source-sha256: {digest} ({name}; regenerate with `make diagrams`) -->\n"


def source_digest(dot_file):
    return hashlib.sha256(pathlib.Path(dot_file).read_bytes()).hexdigest()


def render(dot_file):
    """Write dot_file's SVG beside it, stamped with the source's digest; return the SVG's path."""
    dot_file = pathlib.Path(dot_file)
    svg = subprocess.run(["dot", "-Tsvg", str(dot_file)], check=True, capture_output=True, text=True).stdout
    declaration, _, body = svg.partition("?>\n")  # the stamp goes right after <?xml ...?>
    stamp = STAMP.format(digest=source_digest(dot_file), name=f"docs/diagrams/{dot_file.name}")
    target = dot_file.with_suffix(".svg")
    target.write_text(f"{declaration}?>\n{stamp}{body}")
    return target


def main():
    if shutil.which("dot") is None:
        sys.exit("make diagrams needs Graphviz's `dot`: apt-get install graphviz (or your system's package)")
    for dot_file in sorted(HERE.glob("*.dot")):
        print(f"{dot_file.relative_to(HERE.parent.parent)} -> {render(dot_file).relative_to(HERE.parent.parent)}")


if __name__ == "__main__":
    main()
