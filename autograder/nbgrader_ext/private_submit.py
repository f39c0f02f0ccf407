"""nbgrader's exchange submit, leaving the submission unchangeable by anyone but its author.

nbgrader's own submit makes the submission's folder in inbound/ 0777 "so the instructor can delete it
later", hidden only by the random part of its name: whoever learns the name (a log line, a shell
history) can write into it, replace the notebook or add files. Here the folder is 0755 and its files
0644, as nbgrader makes everything inside it: the instructor's collect still reads it, nobody else can
change it. (Keeping it to the staff's group alone is not possible from the student's side: nbgrader's
copy resets the folder's set-group-id bit, so the files it writes last belong to the student's own
group.)

Students' servers load this file from their read-only configuration folder (the hub writes it
there); in the repository's own configuration it is ``c.ExchangeFactory.submit``. It imports nothing
of the grader, so it runs where only nbgrader is installed.
"""
import os

from nbgrader.exchange.default.submit import ExchangeSubmit


class PrivateSubmit(ExchangeSubmit):

    def copy_files(self):
        super().copy_files()
        os.chmod(os.path.join(self.inbound_path, self.assignment_filename), 0o755)
        self.log.info("Nobody but you can change this submission.")
