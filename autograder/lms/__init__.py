"""Canvas and Moodle, in the file formats their own code writes and reads.

  names      what a download's entry names say: whose submission, late or not, which file
  rosters    the LMS's own exports as the class list: Canvas's gradebook CSV, Moodle's grading worksheet
  detect     which layout a submissions folder or zip is, and why
  exports    grades and feedback in the form each LMS imports: Canvas's gradebook import CSV and
             Re-Upload Submissions zip; Moodle's grading worksheet and feedback files zip

Student ids made here are safe as file names: ``canvas-<user id>`` (``canvas-anon-<id>`` when grading
is anonymous) and ``moodle-<participant id>``; names stay in the roster, never in ids.
"""
