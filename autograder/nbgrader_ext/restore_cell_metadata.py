"""Autograde sanitizing stage, first: nbgrader metadata as the instructor wrote it.

A submitted notebook's cell metadata is the student's to edit.  nbgrader restores
test cells' source and points, but aborts the whole notebook (0 points, no row
detail) on some edits: a solution cell marked as a graded test, a duplicated grade
id (DeduplicateIds leaves an empty dict that CheckCellMetadata then calls an old
format), a cell whose type no longer matches.  This stage rewrites the metadata of
every cell from the gradebook instead:

* a cell claiming a grade id of the assignment gets that id's metadata (flags,
  points, checksum) if its type matches; when several claim one id, the last
  keeps it, like DeduplicateIds;
* any other nbgrader metadata is removed: the cell is the student's own.

A deleted test cell stays deleted and scores 0.
"""
import copy

from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.course.gradebook_reader import open_gradebook

SCHEMA_VERSION = 3


def canonical_metadata(db_url, assignment, notebook):
    """{grade_id: nbgrader metadata} for every nbgrader cell of the notebook."""
    with open_gradebook(db_url) as gradebook:
        stored = gradebook.find_notebook(notebook, assignment)
        graded = {cell.name: cell.max_score for cell in stored.grade_cells}
        solutions = {cell.name for cell in stored.solution_cells}
        tasks = {cell.name for cell in stored.task_cells}
        found = {}
        for cell in stored.source_cells:
            meta = {"cell_type": cell.cell_type, "checksum": cell.checksum, "grade": cell.name in graded,
                    "grade_id": cell.name, "locked": bool(cell.locked), "schema_version": SCHEMA_VERSION,
                    "solution": cell.name in solutions, "task": cell.name in tasks}
            if cell.name in graded:
                meta["points"] = graded[cell.name]
            found[cell.name] = meta
    return found


class RestoreCellMetadata(NbGraderPreprocessor):

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        canonical = canonical_metadata(info["db_url"], info["assignment"], info["notebook"])
        claimed = {}
        for index, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader")
            if isinstance(meta, dict) and meta.get("grade_id") in canonical:
                claimed[meta["grade_id"]] = index  # the last claim wins
        for index, cell in enumerate(nb.cells):
            if "nbgrader" not in cell.get("metadata", {}):
                continue
            meta = cell.metadata["nbgrader"]
            grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
            same_type = grade_id in canonical and canonical[grade_id]["cell_type"] == cell.cell_type
            if same_type and claimed[grade_id] == index:
                restored = copy.deepcopy(canonical[grade_id])
                if restored != meta:
                    self.log.warning("cell %s: nbgrader metadata restored from the gradebook", grade_id)
                cell.metadata["nbgrader"] = restored
            else:
                self.log.warning("cell %d: nbgrader metadata (%s) removed: not a cell of this assignment here",
                                 index + 1, grade_id)
                del cell.metadata["nbgrader"]
        return nb, resources
