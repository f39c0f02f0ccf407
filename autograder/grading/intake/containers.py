"""Reading SUBMISSIONS, a folder or a zip, as entries: symlinks followed only to regular files inside
it, zip members read one at a time (never extracted), special files and unsafe paths refused."""
import contextlib
import os
import pathlib
import posixpath
import re
import stat
import time
import zipfile
import zlib

from autograder.grading.intake.records import Entry, IntakeError
from autograder.result import Status

# Editor, OS and archiver litter that nobody submits on purpose (.ipynb_checkpoints, .DS_Store,
# __MACOSX/ and ._* AppleDouble files from macOS zips).
JUNK_NAMES = {"__MACOSX", "Thumbs.db", "desktop.ini"}
READ_ERRORS = (OSError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error)


@contextlib.contextmanager
def open_entries(root):
    """Yield (entries, is_zip) for a folder or a zip; the zip stays open while entries are read."""
    try:
        is_dir, is_file = root.is_dir(), root.is_file()
    except OSError as exc:
        raise IntakeError(f"submissions path {root} cannot be read ({exc.strerror})") from None
    if is_dir:
        yield list(_walk_dir(root)), False
    elif is_file:
        try:
            archive = zipfile.ZipFile(root)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise IntakeError(f"{root} is not a folder or a readable .zip file ({exc})") from None
        with archive:
            yield list(_zip_entries(archive, str(root))), True
    elif root.exists() or root.is_symlink():
        raise IntakeError(f"{root} is neither a folder nor a .zip file")
    else:
        raise IntakeError(f"submissions path {root} does not exist")


def _walk_dir(root):
    """Every file and folder under root, without following symlinks (lstat only)."""
    real_root = pathlib.Path(os.path.realpath(root))
    stack = [()]
    while stack:
        parts = stack.pop()
        folder = os.path.join(root, *parts)
        try:
            with os.scandir(folder) as it:
                items = sorted(it, key=lambda item: item.name)
        except OSError as exc:
            if not parts:
                raise IntakeError(f"submissions folder {root} cannot be listed ({exc.strerror})") from None
            # refused rather than skipped, so the student's row says why nothing was found
            yield Entry(parts, "refused", folder, mtime=_lstat_mtime(folder), status=Status.CORRUPT,
                         detail=f"folder {folder} could not be listed ({exc.strerror})")
            continue
        if parts:
            yield Entry(parts, "dir", folder, mtime=_lstat_mtime(folder))
        for item in items:
            item_parts = parts + (item.name,)
            if item.is_symlink():
                yield _symlink_entry(real_root, item.path, item_parts)
            elif item.is_dir(follow_symlinks=False):
                stack.append(item_parts)
            else:
                yield _file_entry(item.path, item_parts, item.stat(follow_symlinks=False))


def _file_entry(path, parts, st, origin=None):
    """A regular file (read later through O_NOFOLLOW), or a refused special file."""
    origin = origin or path
    if not stat.S_ISREG(st.st_mode):
        # reading a FIFO or device could hang or never end
        return Entry(parts, "refused", origin, mtime=st.st_mtime, status=Status.UNSAFE_PATH,
                      detail=f"{parts[-1]} is not a regular file (device, pipe or socket)")
    return Entry(parts, "file", origin, size=st.st_size, mtime=st.st_mtime,
                  opener=lambda: _open_regular(path))


def _symlink_entry(real_root, path, parts):
    """Follow a symlink only to a regular file inside SUBMISSIONS; refuse anything else."""
    target = pathlib.Path(os.path.realpath(path))
    mtime = _lstat_mtime(path)
    if not target.is_relative_to(real_root):
        return _refused(parts, path, mtime, f"{parts[-1]} is a symlink to outside the submissions")
    if target.is_dir():
        return _refused(parts, path, mtime, f"{parts[-1]} is a symlink to a folder (not followed)")
    try:
        st = target.stat()
    except OSError:
        return _refused(parts, path, mtime, f"{parts[-1]} is a broken symlink")
    return _file_entry(str(target), parts, st, origin=path)


def _refused(parts, origin, mtime, detail):
    return Entry(parts, "refused", origin, mtime=mtime, status=Status.UNSAFE_PATH, detail=detail)


def _lstat_mtime(path):
    try:
        return os.lstat(path).st_mtime
    except OSError:
        return 0.0


def _open_regular(path):
    """Open for reading without following a symlink swapped in since the listing."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is no longer a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _zip_entries(archive, label):
    """Entries for the members of an open zip; unsafe members are refused, never opened."""
    for info in archive.infolist():
        origin = f"{label}:{info.filename}"
        parts, unsafe = _zip_member_parts(info.filename)
        mtime = _zip_mtime(info)
        if not parts:
            continue
        if unsafe:
            yield _refused(parts, origin, mtime, f"zip entry {info.filename!r} {unsafe}")
        elif stat.S_ISLNK(info.external_attr >> 16):
            yield _refused(parts, origin, mtime, f"zip entry {info.filename!r} is a symlink")
        elif info.is_dir():
            yield Entry(parts, "dir", origin, mtime=mtime)
        else:
            yield Entry(parts, "file", origin, size=info.file_size, mtime=mtime,
                         opener=lambda info=info: archive.open(info))


def _zip_member_parts(filename):
    """(path components, reason it is unsafe or "") of a zip member name.

    Unsafe names are resolved lexically below a virtual root (``s1/../../s9_x`` -> ``s9_x``),
    only so that the row can still name the student; they are never opened.
    """
    name = filename.replace("\\", "/")   # some Windows archivers write backslashes
    drive = re.match(r"[A-Za-z]:", name)
    if name.startswith("/") or drive:
        reason = "has an absolute path"
    elif ".." in name.split("/"):
        reason = "has '..' in its path"
    else:
        reason = ""
    resolved = posixpath.normpath("/" + name[drive.end() if drive else 0:])
    return tuple(p for p in resolved.split("/") if p), reason


def _zip_mtime(info):
    """A zip member's date_time as a timestamp (local time, as zip stores it)."""
    try:
        return time.mktime(info.date_time + (0, 0, -1))
    except (OverflowError, ValueError):
        return 0.0


def is_junk(parts):
    """Hidden and OS/archiver litter anywhere on the path."""
    return any(p.startswith(".") or p in JUNK_NAMES for p in parts)
