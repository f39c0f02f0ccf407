"""Feedback stage: a link to a course file becomes its text.

The notebook links to files of the course repository by relative path (the companion notebook,
for example), which work where students open it. A feedback page lives elsewhere
(feedback/<student>/<assignment>/), where such a link would lead nowhere; web links and anchors stay.
"""
import re

from nbgrader.preprocessors import NbGraderPreprocessor

RELATIVE_LINK = re.compile(r"\[([^\]]+)\]\((?![a-zA-Z][a-zA-Z0-9+.-]*:|#)[^)\s]+\)")
# The same in a cell SanitizeStudentContent rewrote as HTML (its serialiser quotes with ").
RELATIVE_ANCHOR = re.compile(r'<a\b[^>]*\bhref="(?![a-zA-Z][a-zA-Z0-9+.-]*:|#)[^"]*"[^>]*>(.*?)</a>', re.DOTALL)


class UnlinkCourseFiles(NbGraderPreprocessor):

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "markdown":
            cell.source = RELATIVE_ANCHOR.sub(r"\1", RELATIVE_LINK.sub(r"\1", cell.source))
        return cell, resources
