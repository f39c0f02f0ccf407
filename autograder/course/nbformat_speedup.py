"""Start-up of the grader's own long-running processes (the coordinator, grading workers).

jsonschema, imported by nbformat, compiles an Earley parser for its "iri" format check
when ``rfc3987_syntax`` is installed (it comes with jupyter-events' requirements): 2.2 s
of CPU in every process that imports nbformat. nbformat never checks formats, so these
processes mark the module absent and jsonschema skips that one check (it imports the
module under ``suppress(ImportError)``). Plain ``nbgrader`` commands are left as they are.
"""
import sys


def skip_iri_format_parser():
    sys.modules.setdefault("rfc3987_syntax", None)
