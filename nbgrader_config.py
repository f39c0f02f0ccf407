"""nbgrader configuration for the Task 4.1 course.

The course root is the directory nbgrader runs in (this repository, or the
temporary course directories the `autograder` package creates).
"""
c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "dl-module4"

# The MNIST cells train for a few seconds on a 2-core machine; the limit is
# per cell and also bounds an infinite loop in a student's cell.
c.Execute.timeout = 180
c.Execute.kernel_name = "python3"

# Autograding runs untrusted notebooks: nbgrader's own stages, with RestoreCellMetadata
# first (metadata from the gradebook: edited metadata cannot abort grading) and Execute
# replaced by GuardedExecute (tamper check before each test cell; a dead kernel keeps
# earlier points).
c.Autograde.sanitize_preprocessors = [
    "autograder.preprocessors.RestoreCellMetadata",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "autograder.preprocessors.GuardedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Keep notebooks and generated files out of what nbgrader copies around.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store"]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# nbgrader scores a test cell 0 if it wrote anything to stderr.  A Python warning
# raised by correct student code (say, np.log(0) in a cached value) must not cost
# points: drop stderr outputs that are warnings.  Errors are separate outputs and
# still fail the cell; hidden checks also silence warnings themselves.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(?m)^.*:\d+: \w*Warning: "

# Feedback for students: verdicts and diagnoses of hidden tests, never their code.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.preprocessors.HideHiddenTestTraces",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
# nbconvert's HTMLExporter without its BeautifulSoup pass when the page has nothing for it (~0.6 s each).
c.GenerateFeedback.exporter_class = "autograder.feedback_exporter.FeedbackHTMLExporter"
