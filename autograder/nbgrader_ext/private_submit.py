"""nbgrader's exchange submit, leaving the submission readable by the course's staff alone.

nbgrader's own submit makes the submission's folder in inbound/ 0777 "so the instructor can delete it
later", hidden only by the random part of its name: whoever learns the name (a log line, a shell
history) can read the work and write into it. On the course hub the inbound folder belongs to the
instructor's group and is set-group-id, so every submission already belongs to that group: here the
folder becomes 2770 and its files 0640, so the staff read and delete it and no other student can
read, change or add to it. Where inbound has no such group (a plain exchange), the folder is 0755:
nobody else can change it.

Students' servers load this file from their read-only configuration folder (the hub writes it
there); in the repository's own configuration it is ``c.ExchangeFactory.submit``. It imports nothing
of the grader, so it runs where only nbgrader is installed.
"""
import os
import stat

from nbgrader.exchange.default.submit import ExchangeSubmit


class PrivateSubmit(ExchangeSubmit):

    def copy_files(self):
        super().copy_files()
        folder = os.path.join(self.inbound_path, self.assignment_filename)
        inbound = os.stat(self.inbound_path)
        staff_group = inbound.st_mode & stat.S_ISGID and inbound.st_gid != os.getgid()
        files, dirs = (0o640, 0o2750) if staff_group else (0o644, 0o755)
        for parent, subdirs, names in os.walk(folder):
            for name in names:
                os.chmod(os.path.join(parent, name), files)
            for name in subdirs:
                os.chmod(os.path.join(parent, name), dirs)
        os.chmod(folder, 0o2770 if staff_group else 0o755)
        self.log.info("Only the course's staff can read this submission; nobody else can change it.")
