"""nbgrader's exchange collect, refusing submissions that another account made in a student's name.

nbgrader's own collect only warns ("claims to be submitted by ... but is owned by ...; cheating
attempt?") and then takes the newest submission named after the student, so `nbgrader submit
--student bob` run by alice replaces bob's work. Here a submission whose files belong to another
account is never a candidate: the student's newest genuine submission is collected, and every
refused one is logged as an error naming both accounts, so the instructor sees it in the collect
output. Configured in nbgrader_config.py as ``c.ExchangeFactory.collect``.
"""
import glob
import os
import pwd

from nbgrader.exchange.default.collect import ExchangeCollect, groupby


def owner_name(path):
    try:
        return pwd.getpwuid(os.lstat(path).st_uid).pw_name
    except KeyError:
        return f"uid {os.lstat(path).st_uid}"


class OwnerCheckedCollect(ExchangeCollect):

    def init_src(self):
        super().init_src()  # checks the course, finds the inbound folder and the due date
        student_id = self.coursedir.student_id or "*"
        pattern = os.path.join(self.inbound_path, f"{student_id}+{self.coursedir.assignment_id}+*")
        records = [self._path_to_record(path) for path in glob.glob(pattern)]
        genuine = []
        for record in records:
            owner = owner_name(os.path.join(self.inbound_path, record["filename"]))
            if owner == record["username"]:
                genuine.append(record)
            else:
                self.log.error("Refused %s: it is submitted in the name of %s but made by the account %s; "
                               "%s's own submissions are collected instead (if any). Keep it as evidence.",
                               record["filename"], record["username"], owner, record["username"])
        self.src_records = [self._choose(group) for group in groupby(genuine, lambda r: r["username"]).values()]

    def _choose(self, records):
        """The newest submission, or with --before-duedate the newest one made before the due date."""
        records = self._sort_by_timestamp(records)
        if self.duedate is not None and self.before_duedate:
            on_time = [r for r in records if r["timestamp"] <= self.duedate]
            return (on_time or records)[0]
        return records[0]
