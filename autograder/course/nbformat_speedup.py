"""Start-up of every Python process of the course's environment that imports nbformat.

jsonschema, imported by nbformat, compiles an Earley parser for its "iri" format check when
``rfc3987_syntax`` is installed (it comes with jupyter-events' requirements): 1.2 to 2.2 s of CPU in
every process that imports nbformat, plain ``nbgrader autograde`` included. No schema here uses the
"iri" format, and nbformat never checks formats, so the module is marked absent and jsonschema skips
that one check (it imports the module under ``suppress(ImportError)``):

* the grader's own processes (coordinator, grading workers) call ``skip_iri_format_parser()``;
* ``make setup`` runs ``python -m autograder.course.nbformat_speedup`` once, which puts the same line in
  a ``.pth`` file of the environment, so the ``nbgrader`` commands an instructor types start faster too.
"""
import pathlib
import sys
import sysconfig

PTH = "autograder_skip_iri_format.pth"
LINE = "import sys; sys.modules.setdefault('rfc3987_syntax', None)\n"
HEADER = "autograder.course.nbformat_speedup: jsonschema's 'iri' format parser is never built in this environment"


def skip_iri_format_parser():
    sys.modules.setdefault("rfc3987_syntax", None)


def install(site_packages=None):
    """Write the .pth file into this interpreter's site-packages (or ``site_packages``); its path."""
    path = pathlib.Path(site_packages or sysconfig.get_paths()["purelib"]) / PTH
    path.write_text(f"# {HEADER}\n{LINE}")
    return path


if __name__ == "__main__":
    print(f"written: {install()}")
