"""nbgrader's exchange collect, refusing submissions that another account made in a student's name.

nbgrader's own collect only warns ("claims to be submitted by ... but is owned by ...; cheating
attempt?") and then takes the newest submission named after the student, so `nbgrader submit
--student bob` run by alice replaces bob's work. Here a submission whose files belong to another
account is never a candidate: the student's newest genuine submission is collected, and every
refused one is logged as an error naming both accounts, so the instructor sees it in the collect
output.

The submission time is the student's own claim too: `nbgrader submit` runs as the student and writes
it into the folder's name and timestamp.txt. A claim earlier than the exchange's own record of the
folder (its inode change time, which no user can set back) by any amount is replaced by that record
in the collected timestamp.txt: late work is judged on when the exchange received it. A difference
longer than copying a notebook takes (a second) is logged as an error naming both times.
Configured in nbgrader_config.py as ``c.ExchangeFactory.collect``.
"""
import datetime
import glob
import os
import pwd

from nbgrader.exchange.default.collect import ExchangeCollect, groupby
from nbgrader.utils import parse_utc

# nbgrader stamps the time, then copies the files: an honest claim is this much earlier than arrival
COPYING = datetime.timedelta(seconds=1)


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

    def do_copy(self, src, dest, log=None):
        super().do_copy(src, dest, log)
        stamp = os.path.join(dest, "timestamp.txt")
        try:
            with open(stamp) as handle:
                claimed = parse_utc(handle.read().strip())
        except (OSError, ValueError):
            return
        received = datetime.datetime.fromtimestamp(os.lstat(src).st_ctime, datetime.UTC)
        if claimed is not None and claimed.replace(tzinfo=datetime.UTC) < received:
            if claimed.replace(tzinfo=datetime.UTC) < received - COPYING:
                self.log.error("%s claims it was submitted at %s, but the exchange received it at %s: the "
                               "collected timestamp.txt says %s", os.path.basename(src), claimed, received, received)
            with open(stamp, "w") as handle:
                handle.write(received.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))

    def _choose(self, records):
        """The newest submission, or with --before-duedate the newest one made before the due date."""
        records = self._sort_by_timestamp(records)
        if self.duedate is not None and self.before_duedate:
            on_time = [r for r in records if r["timestamp"] <= self.duedate]
            return (on_time or records)[0]
        return records[0]
