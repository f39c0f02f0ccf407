"""nbgrader configuration for the Task 4.1 course.

The course root is the directory nbgrader runs in (this repository, or the
temporary course directories the `autograder` package creates).
"""
import os
import pathlib

from autograder import assignment
from autograder.course.environment import blas_thread_env
from autograder.course.layout import COURSE_ID
from autograder.limits import Limits  # the defaults the grade command uses too

c = get_config()

# Every kernel this configuration starts (nbgrader autograde and validate, Formgrader's buttons, the
# notebooks of a Jupyter server that loaded it) gets one BLAS thread, as the grade command's do: on a
# busy machine more threads per kernel fight for the same cores. Set KERNEL_BLAS_THREADS to change it
# (0: the library's default, one thread per core).
KERNEL_BLAS_THREADS = Limits.kernel_blas_threads
os.environ.update(blas_thread_env(KERNEL_BLAS_THREADS))

c.CourseDirectory.course_id = COURSE_ID

# Time limits (autograder/limits.py, applied by autograder/nbgrader_ext/guarded_execute.py): the
# data and training cells, every other cell, and later cells once one has hung (the hidden MNIST
# test excepted: its checks limit each call of student code to 5 s).
c.Execute.timeout = Limits.cell_timeout
c.GuardedExecute.quick_timeout = Limits.quick_cell_timeout
c.GuardedExecute.after_hang_timeout = Limits.after_hang_timeout
# Which cells of each assignment may take long: its assignment.toml (autograder/assignment.py), in the
# source/ beside this file and in that of the course nbgrader runs in (a grading template, an output folder).
SOURCES = dict.fromkeys([pathlib.Path(__file__).resolve().parent / "source", pathlib.Path.cwd().resolve() / "source"])
ASSIGNMENTS = {name: task for source in SOURCES for name, task in assignment.graded_in(source).items()}
c.GuardedExecute.assignment_cells = assignment.cell_timing(ASSIGNMENTS.values())
c.Execute.kernel_name = "python3"
# Nothing is saved when the kernel stops: kill it at once instead of waiting for a graceful exit.
c.Execute.shutdown_kernel = "immediate"

# Autograding runs untrusted notebooks: nbgrader's own stages, with RestoreCellMetadata
# first (metadata from the gradebook: edited metadata cannot abort grading), Execute
# replaced by GuardedExecute (tamper check before each test cell; a dead kernel keeps
# earlier points), and SanitizeStudentContent once scores are saved (what the student wrote
# or displayed, reduced to an HTML allow-list before Formgrader or a feedback page renders it).
c.Autograde.sanitize_preprocessors = [
    "autograder.nbgrader_ext.RestoreCellMetadata",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "autograder.nbgrader_ext.GuardedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "autograder.nbgrader_ext.SanitizeStudentContent",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Keep notebooks and generated files out of what nbgrader copies around.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store", assignment.FILE]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# nbgrader scores a test cell 0 if it wrote anything to stderr.  A Python warning
# raised by correct student code (say, np.log(0) in a cached value) must not cost
# points: drop stderr outputs that are warnings.  Errors are separate outputs and
# still fail the cell; hidden checks also silence warnings themselves.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(?m)^.*:\d+: \w*Warning: "

# Feedback for students: verdicts and diagnoses of hidden tests, never their code; links to
# course files (which do not sit beside a feedback page) become text; graders' comments and the
# notebook pass the allow-list again; every page carries a Content-Security-Policy (the exporter).
# Hidden regions are cleared in test cells only: marker text a student typed elsewhere
# (a comment, a string) must not abort the student's feedback.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.nbgrader_ext.LabelGradedCells",
    "autograder.nbgrader_ext.HideHiddenTestTraces",
    "autograder.nbgrader_ext.ClearTestCellsHiddenTests",
    "autograder.nbgrader_ext.UnlinkCourseFiles",
    "autograder.nbgrader_ext.SanitizeStudentContent",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
# nbconvert's HTMLExporter without its BeautifulSoup pass when the page has nothing for it (~0.6 s each).
c.GenerateFeedback.exporter_class = "autograder.nbgrader_ext.feedback_exporter.FeedbackHTMLExporter"

# Due dates and late work (autograder/late_work.py), from the submission time nbgrader's submit
# records (timestamp.txt). The penalty comes off the total in grades.csv (final_score), the report,
# feedback and the gradebook, never off the stored scores: change these and rerun `grade` or
# `publish` (nothing is regraded). No due date: nothing is late.
c.LatePolicy.due_dates = {}  # e.g. {"task4_1": "2027-01-15 17:00 Europe/Berlin"}
c.LatePolicy.timezone = "UTC"  # for due dates written without a zone
c.LatePolicy.percent_per_day = 10.0  # each started day late costs this share of the score
c.LatePolicy.max_percent = 50.0  # late work keeps at least half its points ...
c.LatePolicy.zero_after_days = 7  # ... until a week late: then the solutions may be out, so it scores zero
c.LatePolicy.grace_minutes = 0.0  # minutes after the due date still on time (slow uploads at the deadline)
c.LatePolicy.extensions = {}  # e.g. {"task4_1": {"s1234567": "2027-01-20 17:00 Europe/Berlin"}}

# The exchange (JupyterHub courses): collect never takes a submission that another account
# made in a student's name (`nbgrader submit --student <someone else>`); it logs an error instead.
c.ExchangeFactory.collect = "autograder.nbgrader_ext.owner_checked_collect.OwnerCheckedCollect"
# The companion notebook holds working solutions: released only once no submission can still earn points
# (the last due date, extensions included, plus LatePolicy.zero_after_days).
c.ExchangeFactory.release_assignment = "autograder.nbgrader_ext.companion_after_due.CompanionAfterDueRelease"
c.CompanionAfterDueRelease.solutions_of = {"task4_1_companion": "task4_1"}
# A submission nobody but its author can change (nbgrader's own submit leaves its folder 0777); the
# hub gives the same class to the students' servers.
c.ExchangeFactory.submit = "autograder.nbgrader_ext.private_submit.PrivateSubmit"
