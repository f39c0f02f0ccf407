"""Files written whole or not at all: a reader, or a rerun after a crash, sees the old file or the new one."""
import contextlib
import os
import pathlib
import tempfile


@contextlib.contextmanager
def atomic_open(path, mode="w", permissions=0o644, **kwargs):
    """Open a temporary file beside ``path``; when the block ends without error it replaces ``path``."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
        os.chmod(tmp, permissions)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomically(path, text, permissions=0o644):
    with atomic_open(path, "w", permissions=permissions, encoding="utf-8") as handle:
        handle.write(text)
