"""Load MNIST from the four standard IDX files, downloading them if they are missing.

    X_train, y_train, X_test, y_test = load_mnist()

Every problem raises MNISTError with a message that says how to fix it.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.client
import os
import pathlib
import struct
import tempfile
import urllib.error
import urllib.request
import zlib

import numpy as np

__all__ = ["MNISTError", "load_mnist", "find_data_dir", "read_idx", "verify", "decompress_to", "SHA256", "MIRRORS"]

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

# SHA-256 of the *decompressed* content: gzip wrappers differ between mirrors, content does not.
# Decompressed sizes: 47040016, 60008, 7840016 and 10008 bytes.
SHA256 = {
    TRAIN_IMAGES: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    TRAIN_LABELS: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    TEST_IMAGES: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    TEST_LABELS: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]
TIMEOUT = 30  # seconds per network operation
_CHUNK = 1 << 16

_MAGIC = {1: 0x00000801, 3: 0x00000803}  # unsigned bytes, 1 or 3 dimensions
_FIX_FILE = "Delete it and download it again (load_mnist() does this), or copy it again."


class MNISTError(RuntimeError):
    """Raised for any problem finding, downloading, verifying or parsing the MNIST files."""


# ------------------------------------------------------------------ locating the data

def _has_train_images(folder: pathlib.Path) -> bool:
    return any((folder / (TRAIN_IMAGES + ext)).is_file() for ext in ("", ".gz"))


def _resolve_dir(data_dir=None, start=None) -> tuple[pathlib.Path, str]:
    """Return the data directory and a short note on how it was chosen (for error messages)."""
    if data_dir is not None:
        return pathlib.Path(data_dir).expanduser().resolve(), "data_dir argument"
    env = os.environ.get("MNIST_DIR")
    if env:
        return pathlib.Path(env).expanduser().resolve(), "environment variable MNIST_DIR"
    here = pathlib.Path(start if start is not None else os.getcwd()).expanduser().resolve()
    for folder in (here, *here.parents):
        for candidate in (folder / "data", folder / "data" / "mnist"):  # `make data` puts it in data/mnist/
            if _has_train_images(candidate):
                return candidate, f"found searching upwards from {here}"
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file():
            return folder / "data", f"the course root's data folder; none with MNIST above {here}"
    return here / "data", f"the default; no data folder with MNIST above {here}"


def find_data_dir(start=None) -> pathlib.Path:
    """Return the folder that holds (or should hold) the MNIST files.

    Order: environment variable MNIST_DIR; else the nearest folder ``data`` or ``data/mnist``
    containing train-images-idx3-ubyte[.gz], searching upwards from ``start`` (default: the current
    directory); else ``data/`` in the course root (nearest ancestor with nbgrader_config.py);
    else ``start/data``. The folder need not exist yet.
    """
    return _resolve_dir(None, start)[0]


def _find_file(directory: pathlib.Path, name: str) -> pathlib.Path | None:
    """Path of ``name`` in ``directory``, raw preferred over .gz; None if neither exists."""
    for candidate in (directory / name, directory / (name + ".gz")):
        if candidate.is_file():
            return candidate
    return None


# ------------------------------------------------------------------ reading and checking

def _read_bytes(path: pathlib.Path) -> bytes:
    """The file's content, decompressed if its name ends in .gz."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MNISTError(f"cannot read {path}: {exc}. Check that it is a readable file.") from exc
    if path.suffix != ".gz":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise MNISTError(f"{path} is not a valid gzip file ({exc}); it is probably truncated or "
                         f"corrupted. {_FIX_FILE}") from exc


def _parse_idx(data: bytes, path) -> np.ndarray:
    """Parse IDX bytes into a read-only uint8 array; ``path`` is only used in messages."""
    if len(data) < 4:
        raise MNISTError(f"{path} is truncated: {len(data)} bytes, too short for an IDX header. "
                         f"{_FIX_FILE}")
    (magic,) = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    if _MAGIC.get(ndim) != magic:
        raise MNISTError(f"{path} is not an MNIST IDX file: magic number 0x{magic:08x}, "
                         f"expected 0x{_MAGIC[1]:08x} (labels) or 0x{_MAGIC[3]:08x} (images). "
                         f"{_FIX_FILE}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise MNISTError(f"{path} is truncated: {len(data)} bytes, the header alone needs "
                         f"{header}. {_FIX_FILE}")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected = header + int(np.prod(dims, dtype=np.int64))
    if len(data) < expected:
        raise MNISTError(f"{path} is truncated: {len(data)} bytes, expected {expected} for shape "
                         f"{dims}. {_FIX_FILE}")
    if len(data) > expected:
        raise MNISTError(f"{path} has {len(data) - expected} extra bytes after the data for shape "
                         f"{dims}. {_FIX_FILE}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)  # read-only view


def read_idx(path) -> np.ndarray:
    """Read one IDX file (raw or .gz) and return its uint8 array (read-only).

    Checks the magic number, the dimensions and that the length matches exactly.
    """
    path = pathlib.Path(path)
    return _parse_idx(_read_bytes(path), path)


def _sha256_mismatch(data: bytes, name: str) -> str | None:
    """None if ``data`` has the expected digest for ``name``, else a description of the mismatch."""
    expected = SHA256[name]
    found = hashlib.sha256(data).hexdigest()
    return None if found == expected else f"expected SHA-256 {expected}, found {found}"


def _load_checked(path: pathlib.Path, name: str, ndim: int) -> np.ndarray:
    """Read the file once, then validate its structure and its checksum from the same bytes."""
    data = _read_bytes(path)
    array = _parse_idx(data, path)  # structural errors first: they say more than a bad digest
    if array.ndim != ndim:
        raise MNISTError(f"{path} has {array.ndim} dimensions, expected {ndim} for {name}. "
                         f"{_FIX_FILE}")
    mismatch = _sha256_mismatch(data, name)
    if mismatch:
        raise MNISTError(f"{path} has the wrong content (SHA-256 of the decompressed data):\n"
                         f"  {mismatch}\nThe file is corrupted or is not the original MNIST "
                         f"file. {_FIX_FILE}")
    return array


def _split(directory: pathlib.Path, images_name: str, labels_name: str):
    """Load one images/labels pair as (float32 (N, 784) in [0, 1], int64 (N,)), both read-only."""
    images_path = _find_file(directory, images_name)
    labels_path = _find_file(directory, labels_name)
    images = _load_checked(images_path, images_name, 3)
    labels = _load_checked(labels_path, labels_name, 1)
    if images.shape[1:] != (28, 28):
        raise MNISTError(f"{images_path} holds images of shape {images.shape[1:]}, expected "
                         f"(28, 28). {_FIX_FILE}")
    if len(images) != len(labels):
        raise MNISTError(f"{images_path} has {len(images)} images but {labels_path} has "
                         f"{len(labels)} labels; the counts must match. Delete both files and "
                         f"download them again, or copy them again.")
    x = images.reshape(len(images), -1).astype(np.float32)
    x /= np.float32(255)
    y = labels.astype(np.int64)
    x.flags.writeable = False  # the arrays are shared through the cache
    y.flags.writeable = False
    return x, y


def _stamp(directory: pathlib.Path) -> tuple:
    """Size and mtime of the four files, so the cache notices files that were replaced."""
    stamp = []
    for name in FILES:
        st = _find_file(directory, name).stat()
        stamp.append((name, st.st_size, st.st_mtime_ns))
    return tuple(stamp)


@functools.lru_cache(maxsize=2)
def _load_arrays(directory: str, stamp: tuple):
    """Cached parse of a directory; ``stamp`` is only part of the cache key."""
    folder = pathlib.Path(directory)
    return (*_split(folder, TRAIN_IMAGES, TRAIN_LABELS), *_split(folder, TEST_IMAGES, TEST_LABELS))


# ------------------------------------------------------------------ downloading

def _fix_hint(directory: pathlib.Path) -> str:
    return ("To fix it, copy the four *-ubyte.gz files into\n"
            f"  {directory}\n"
            "or set MNIST_DIR=/path/to/folder (a folder holding them) before starting Jupyter,\n"
            "or call load_mnist(data_dir='/path/to/folder').")


def _missing_error(directory, how, missing, reason, tried=()) -> MNISTError:
    lines = [f"MNIST files missing: {', '.join(name + '[.gz]' for name in missing)}",
             f"Directory searched: {directory} ({how}).", reason]
    if tried:
        lines.append("Mirrors tried:")
        lines += [f"  {url}: {error}" for url, error in tried]
    lines.append(_fix_hint(directory))
    return MNISTError("\n".join(lines))


def _stream_to(url: str, out, label: str, verbose: bool) -> None:
    """Copy the response body of ``url`` into the open binary file ``out``, showing progress."""
    shown = None
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                done += len(chunk)
                progress = f"{done * 100 // total}%" if total else f"{done >> 20} MB"
                if verbose and progress != shown:
                    print(f"\r  {label}: {progress}", end="", flush=True)
                    shown = progress
            if total and done != total:
                raise OSError(f"connection closed after {done} of {total} bytes")
    finally:
        if shown is not None:
            print()  # end the progress line


def _describe(exc: BaseException) -> str:
    """One-line description of a download error."""
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        exc = exc.reason  # e.g. "Name or service not known" instead of "<urlopen error ...>"
    return (str(exc) or type(exc).__name__).replace("\n", " ")


def _download_one(name: str, directory: pathlib.Path, verbose: bool, tried: list) -> bool:
    """Fetch ``name``.gz from the first mirror that delivers the right content; record failures."""
    for mirror in MIRRORS:
        url = mirror.rstrip("/") + "/" + name + ".gz"
        if verbose:
            print(f"Downloading {url}", flush=True)
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.gz.", suffix=".part", dir=directory)
            with os.fdopen(fd, "wb") as out:
                _stream_to(url, out, name + ".gz", verbose)
            mismatch = _sha256_mismatch(gzip.decompress(pathlib.Path(tmp).read_bytes()), name)
            if mismatch:
                raise ValueError(f"wrong content, {mismatch}")
            os.replace(tmp, directory / (name + ".gz"))  # atomic: only verified files get the name
            tmp = None
            return True
        except (OSError, EOFError, ValueError, zlib.error, http.client.HTTPException) as exc:
            tried.append((url, _describe(exc)))
            if verbose:
                print(f"  failed: {tried[-1][1]}", flush=True)
        finally:
            if tmp is not None and os.path.exists(tmp):
                os.remove(tmp)
    return False


def _download_missing(directory: pathlib.Path, how: str, missing: list, verbose: bool) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _missing_error(directory, how, missing,
                             f"Could not create the directory to download into: {exc}.") from exc
    if not os.access(directory, os.W_OK):
        raise _missing_error(directory, how, missing,
                             "The directory is not writable, so they cannot be downloaded there.")
    tried: list = []
    for name in missing:
        if not _download_one(name, directory, verbose, tried):
            # stop early: the other files would most likely fail too, each costing timeouts
            still = [n for n in missing if _find_file(directory, n) is None]
            reason = "Downloading failed on every mirror (no internet, or a proxy or firewall?)."
            raise _missing_error(directory, how, still, reason, tried)


# ------------------------------------------------------------------ public entry point

def load_mnist(data_dir=None, *, download=True, verbose=True
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return ``X_train, y_train, X_test, y_test`` for MNIST.

    X_train is float32 of shape (60000, 784) scaled to [0, 1], y_train int64 of shape (60000,);
    X_test and y_test likewise with 10000 rows. The arrays are read-only (they are cached, so a
    second call is instant); use ``.copy()`` if you need to modify them in place.

    The folder is ``data_dir`` if given, else as described in :func:`find_data_dir`. Missing
    files are downloaded there when ``download`` is true. Every file's decompressed SHA-256 is
    verified. Raises MNISTError on any problem.
    """
    directory, how = _resolve_dir(data_dir)
    missing = [name for name in FILES if _find_file(directory, name) is None]
    if missing:
        if not download:
            reason = "Downloading is disabled (download=False)."
            raise _missing_error(directory, how, missing, reason)
        _download_missing(directory, how, missing, verbose)
    return _load_arrays(str(directory), _stamp(directory))


def _present(data_dir, purpose) -> pathlib.Path:
    """The folder of the four files; MNISTError naming the missing ones (``purpose`` does not download)."""
    source, how = _resolve_dir(data_dir)
    missing = [name for name in FILES if _find_file(source, name) is None]
    if missing:
        raise _missing_error(source, how, missing, f"{purpose} does not download.")
    return source


def _verified_contents(data_dir, purpose):
    """Yield (name, decompressed bytes) of the four files, each checked against its SHA-256."""
    source = _present(data_dir, purpose)
    for name in FILES:
        path = _find_file(source, name)
        data = _read_bytes(path)
        mismatch = _sha256_mismatch(data, name)
        if mismatch:
            raise MNISTError(f"{path} has the wrong content: {mismatch}. {_FIX_FILE}")
        yield name, data


def verify(data_dir=None, *, digests=True) -> pathlib.Path:
    """Check that the four files are present and hold the published content; return their folder.

    ``digests=False`` checks only that they are there (no reading). Nothing is downloaded or
    cached. Raises MNISTError naming the file and the fix.
    """
    if digests:
        for _ in _verified_contents(data_dir, "verify()"):
            pass
    return _present(data_dir, "verify()")


def decompress_to(destination, data_dir=None) -> pathlib.Path:
    """Write the four files, verified and decompressed, into ``destination``; return it.

    For many readers of one copy (a grader running hundreds of notebooks): each then
    skips the gzip step. Nothing is downloaded; raises MNISTError if a file is missing
    or wrong.
    """
    destination = pathlib.Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    for name, data in _verified_contents(data_dir, "decompress_to()"):
        partial = destination / (name + ".partial")
        partial.write_bytes(data)
        os.replace(partial, destination / name)
    return destination
