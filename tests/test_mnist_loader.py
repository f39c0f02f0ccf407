"""Tests for source/task4_1/mnist_loader.py on small synthetic IDX files.

The real data is checked too when the environment variable MNIST_DIR is set.
"""
import functools
import gzip
import hashlib
import http.server
import os
import pathlib
import struct
import sys
import threading

import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "source" / "task4_1"))
import mnist_loader as ml

REAL_MNIST_DIR = os.environ.get("MNIST_DIR")  # captured before the fixtures below remove it
N_TRAIN, N_TEST = 5, 4


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array in IDX format."""
    header = struct.pack(">I", 0x800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def make_arrays(seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        ml.TRAIN_IMAGES: rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
        ml.TRAIN_LABELS: np.arange(N_TRAIN, dtype=np.uint8),
        ml.TEST_IMAGES: rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
        ml.TEST_LABELS: np.array([9, 0, 7, 3], dtype=np.uint8),
    }
    arrays[ml.TRAIN_IMAGES][0, 0, :2] = (0, 255)  # make sure both ends of the range occur
    return arrays


def write(folder: pathlib.Path, name: str, content: bytes, gz: bool) -> pathlib.Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name + ".gz" if gz else name)
    path.write_bytes(gzip.compress(content) if gz else content)
    return path


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No MNIST_DIR, no network mirrors, an empty cache and a neutral working directory."""
    monkeypatch.delenv("MNIST_DIR", raising=False)
    monkeypatch.setattr(ml, "MIRRORS", [])
    monkeypatch.chdir(tmp_path)
    ml._load_arrays.cache_clear()
    yield
    ml._load_arrays.cache_clear()


@pytest.fixture
def synthetic(monkeypatch):
    """The synthetic arrays, their IDX bytes, and a SHA256 table that matches them."""
    arrays = make_arrays()
    contents = {name: idx_bytes(a) for name, a in arrays.items()}
    digests = {name: hashlib.sha256(content).hexdigest() for name, content in contents.items()}
    monkeypatch.setattr(ml, "SHA256", digests)
    return arrays, contents


def write_all(folder, contents, gz=True):
    for name, content in contents.items():
        write(folder, name, content, gz)
    return folder


# ------------------------------------------------------------------ reading good files

@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_good_files_load_as_scaled_float32_and_int_labels(tmp_path, synthetic, gz):
    arrays, contents = synthetic
    folder = write_all(tmp_path / "data", contents, gz)
    X_train, y_train, X_test, y_test = ml.load_mnist(folder, download=False)

    assert X_train.shape == (N_TRAIN, 784) and X_test.shape == (N_TEST, 784)
    assert y_train.shape == (N_TRAIN,) and y_test.shape == (N_TEST,)
    assert X_train.dtype == np.float32 and X_test.dtype == np.float32
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64
    expected = arrays[ml.TRAIN_IMAGES].reshape(N_TRAIN, 784).astype(np.float32) / 255
    np.testing.assert_allclose(X_train, expected, rtol=0, atol=1e-7)
    np.testing.assert_allclose(X_test, arrays[ml.TEST_IMAGES].reshape(N_TEST, 784) / 255, atol=1e-7)
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    np.testing.assert_array_equal(y_train, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(y_test, [9, 0, 7, 3])


def test_repeated_loads_return_the_same_read_only_arrays(tmp_path, synthetic):
    folder = write_all(tmp_path, synthetic[1])
    first = ml.load_mnist(folder, download=False)
    second = ml.load_mnist(folder, download=False)
    assert all(a is b for a, b in zip(first, second, strict=True))
    for array in first:
        assert not array.flags.writeable
    with pytest.raises(ValueError):
        first[0][0, 0] = 5.0


def test_a_raw_file_is_preferred_over_its_gz(tmp_path, synthetic):
    folder = write_all(tmp_path, synthetic[1], gz=False)
    (folder / (ml.TRAIN_IMAGES + ".gz")).write_bytes(b"not gzip at all")
    assert ml.load_mnist(folder, download=False)[0].shape == (N_TRAIN, 784)


def test_read_idx_reads_gz_and_raw_files(tmp_path, synthetic):
    arrays, contents = synthetic
    images = write(tmp_path, ml.TRAIN_IMAGES, contents[ml.TRAIN_IMAGES], gz=True)
    labels = write(tmp_path, ml.TRAIN_LABELS, contents[ml.TRAIN_LABELS], gz=False)
    np.testing.assert_array_equal(ml.read_idx(images), arrays[ml.TRAIN_IMAGES])
    assert ml.read_idx(labels).dtype == np.uint8 and ml.read_idx(labels).shape == (N_TRAIN,)


def test_decompress_to_writes_verified_raw_copies(tmp_path, synthetic):
    arrays, contents = synthetic
    source = write_all(tmp_path / "gz", contents, gz=True)
    copy = ml.decompress_to(tmp_path / "raw", data_dir=source)
    assert sorted(p.name for p in copy.iterdir()) == sorted(ml.FILES)
    assert all((copy / name).read_bytes() == content for name, content in contents.items())
    np.testing.assert_array_equal(ml.load_mnist(copy, download=False)[1], [0, 1, 2, 3, 4])


def test_decompress_to_refuses_wrong_or_missing_files(tmp_path, synthetic, monkeypatch):
    source = write_all(tmp_path / "gz", synthetic[1], gz=True)
    monkeypatch.setitem(ml.SHA256, ml.TRAIN_LABELS, "0" * 64)
    with pytest.raises(ml.MNISTError, match="wrong content"):
        ml.decompress_to(tmp_path / "raw", data_dir=source)
    (source / (ml.TEST_LABELS + ".gz")).unlink()
    with pytest.raises(ml.MNISTError, match=ml.TEST_LABELS):
        ml.decompress_to(tmp_path / "raw2", data_dir=source)


# ------------------------------------------------------------------ broken files

@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_a_truncated_file_is_an_error_that_says_truncated(tmp_path, synthetic, gz):
    contents = dict(synthetic[1])
    contents[ml.TRAIN_IMAGES] = contents[ml.TRAIN_IMAGES][:-10]
    folder = write_all(tmp_path, contents, gz)
    with pytest.raises(ml.MNISTError, match="truncated") as info:
        ml.load_mnist(folder, download=False)
    assert ml.TRAIN_IMAGES in str(info.value) and "Delete it" in str(info.value)


def test_a_truncated_gzip_stream_is_an_error(tmp_path, synthetic):
    path = write(tmp_path, ml.TRAIN_IMAGES, synthetic[1][ml.TRAIN_IMAGES], gz=True)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ml.MNISTError, match="not a valid gzip file") as info:
        ml.read_idx(path)
    assert str(path) in str(info.value)


def test_extra_bytes_after_the_data_are_an_error(tmp_path, synthetic):
    path = write(tmp_path, ml.TEST_LABELS, synthetic[1][ml.TEST_LABELS] + b"\0\0", gz=False)
    with pytest.raises(ml.MNISTError, match="2 extra bytes"):
        ml.read_idx(path)


def test_a_wrong_magic_number_is_an_error(tmp_path, synthetic):
    bad = struct.pack(">I", 0x00000903) + synthetic[1][ml.TRAIN_IMAGES][4:]
    path = write(tmp_path, ml.TRAIN_IMAGES, bad, gz=True)
    with pytest.raises(ml.MNISTError, match="magic number 0x00000903") as info:
        ml.read_idx(path)
    assert ml.TRAIN_IMAGES in str(info.value)


def test_labels_file_in_place_of_images(tmp_path, synthetic):
    contents = dict(synthetic[1])
    contents[ml.TEST_IMAGES] = contents[ml.TEST_LABELS]
    folder = write_all(tmp_path, contents)
    with pytest.raises(ml.MNISTError, match="1 dimensions, expected 3"):
        ml.load_mnist(folder, download=False)


def test_a_wrong_checksum_is_an_error(tmp_path, synthetic, monkeypatch):
    folder = write_all(tmp_path, synthetic[1])
    good = ml.SHA256[ml.TEST_LABELS]
    monkeypatch.setitem(ml.SHA256, ml.TEST_LABELS, "0" * 64)
    with pytest.raises(ml.MNISTError) as info:
        ml.load_mnist(folder, download=False)
    message = str(info.value)
    assert ml.TEST_LABELS in message and "0" * 64 in message and good in message
    assert "Delete it" in message


def test_image_and_label_counts_must_agree(tmp_path, synthetic, monkeypatch):
    contents = dict(synthetic[1])
    contents[ml.TRAIN_LABELS] = idx_bytes(np.arange(N_TRAIN - 1, dtype=np.uint8))
    digest = hashlib.sha256(contents[ml.TRAIN_LABELS]).hexdigest()
    monkeypatch.setitem(ml.SHA256, ml.TRAIN_LABELS, digest)
    folder = write_all(tmp_path, contents)
    with pytest.raises(ml.MNISTError, match=f"{N_TRAIN} images but .* {N_TRAIN - 1} labels"):
        ml.load_mnist(folder, download=False)


# ------------------------------------------------------------------ finding the folder

def test_missing_files_without_download(tmp_path):
    folder = tmp_path / "nowhere"
    with pytest.raises(ml.MNISTError) as info:
        ml.load_mnist(folder, download=False)
    message = str(info.value)
    assert str(folder) in message and "MNIST_DIR" in message and "download=False" in message
    assert all(name in message for name in ml.FILES)
    assert not folder.exists()


def test_only_some_files_missing(tmp_path, synthetic):
    contents = dict(synthetic[1])
    del contents[ml.TEST_LABELS]
    folder = write_all(tmp_path, contents)
    with pytest.raises(ml.MNISTError, match=f"missing: {ml.TEST_LABELS}\\[.gz\\]\n"):
        ml.load_mnist(folder, download=False)


def test_mnist_dir_environment_variable_is_honoured(tmp_path, synthetic, monkeypatch):
    folder = write_all(tmp_path / "elsewhere", synthetic[1])
    write_all(tmp_path / "work" / "data", {ml.TRAIN_IMAGES: b"decoy"})  # must not be used
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("MNIST_DIR", str(folder))
    assert ml.find_data_dir() == folder.resolve()
    assert ml.load_mnist(download=False)[1].tolist() == [0, 1, 2, 3, 4]


def test_explicit_dir_beats_env(tmp_path, synthetic, monkeypatch):
    folder = write_all(tmp_path / "mine", synthetic[1])
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "empty"))
    assert ml.load_mnist(folder, download=False)[0].shape == (N_TRAIN, 784)
    with pytest.raises(ml.MNISTError, match="MNIST_DIR"):
        ml.load_mnist(download=False)


def test_find_data_dir_walks_up_to_the_course_data_folder(tmp_path):
    project = tmp_path / "project"
    write(project / "data", ml.TRAIN_IMAGES, b"x", gz=True)
    deep = project / "notebooks" / "week4"
    deep.mkdir(parents=True)
    assert ml.find_data_dir(deep) == project / "data"
    assert ml.find_data_dir(project / "data") == project / "data"
    os.chdir(deep)  # the autouse fixture restores the working directory
    assert ml.find_data_dir() == project / "data"


def test_find_data_dir_finds_the_copy_a_course_ships_in_data_mnist(tmp_path):
    course = tmp_path / "course"
    write(course / "data" / "mnist", ml.TRAIN_IMAGES, b"x", gz=True)
    notebook_folder = course / "release" / "task4_1"
    notebook_folder.mkdir(parents=True)
    assert ml.find_data_dir(notebook_folder) == course / "data" / "mnist"


@pytest.mark.skipif(not REAL_MNIST_DIR, reason="set MNIST_DIR to a folder with the real MNIST")
def test_make_data_copies_a_verified_mnist_that_the_tools_then_prefer(tmp_path, monkeypatch):
    """No MNIST_DIR: the build machines' copy beside the checkout until `make data` fills data/mnist/."""
    from autograder.course import environment, layout

    monkeypatch.delenv("MNIST_DIR", raising=False)
    copy = tmp_path / "course" / "data" / "mnist"
    monkeypatch.setattr(layout, "DATA_ROOT", copy.parent)
    monkeypatch.setattr(layout, "SHARED_DATA_ROOT", tmp_path / "shared")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "mnist").symlink_to(REAL_MNIST_DIR)
    assert environment.data_dir() == tmp_path / "shared" / "mnist"
    environment.fetch_data(log=lambda line: None)
    assert environment.data_dir() == copy
    assert ml.find_data_dir(tmp_path / "course" / "release" / "task4_1") == copy
    monkeypatch.setattr(layout, "SHARED_DATA_ROOT", tmp_path / "nothing-here")
    assert environment.data_dir() == copy


def test_find_data_dir_fallbacks(tmp_path):
    course = tmp_path / "course"
    deep = course / "source" / "task4_1"
    deep.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("")
    assert ml.find_data_dir(deep) == course / "data"
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    assert ml.find_data_dir(lonely) == lonely / "data"


def test_cannot_create_directory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ml.MNISTError, match="Could not create") as info:
        ml.load_mnist(blocker / "data", verbose=False)
    assert "MNIST_DIR" in str(info.value)


# ------------------------------------------------------------------ downloading

class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path, synthetic, monkeypatch):
    """Local HTTP server: /good/ has the files, /bad/ corrupted ones, /html/ non-gzip ones,
    /none/ gives 404."""
    root = tmp_path / "www"
    write_all(root / "good", synthetic[1])
    for name, content in synthetic[1].items():
        broken = bytearray(content)
        broken[-1] ^= 0xFF  # same length, different content: only the checksum can tell
        write(root / "bad", name, bytes(broken), gz=True)
        write(root / "html", name + ".gz", b"<html>Access denied</html>", gz=False)
    (root / "none").mkdir()
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(ml, "TIMEOUT", 5)
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_after_404(tmp_path, server, monkeypatch, capsys):
    monkeypatch.setattr(ml, "MIRRORS", [f"{server}/none/", f"{server}/good"])
    folder = tmp_path / "fresh" / "data"
    X_train, y_train, X_test, y_test = ml.load_mnist(folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(n + ".gz" for n in ml.FILES)
    assert y_test.tolist() == [9, 0, 7, 3] and X_train.shape == (N_TRAIN, 784)
    out = capsys.readouterr().out
    assert "404" in out and "100%" in out and "\r" in out


def test_download_only_missing_files(tmp_path, server, synthetic, monkeypatch):
    monkeypatch.setattr(ml, "MIRRORS", [f"{server}/good/"])
    contents = dict(synthetic[1])
    del contents[ml.TRAIN_LABELS]
    folder = write_all(tmp_path / "data", contents, gz=False)
    ml.load_mnist(folder, verbose=False)
    assert (folder / (ml.TRAIN_LABELS + ".gz")).is_file()
    assert not (folder / (ml.TRAIN_IMAGES + ".gz")).exists()


def test_corrupted_download_rejected(tmp_path, server, monkeypatch):
    monkeypatch.setattr(ml, "MIRRORS", [f"{server}/bad/", f"{server}/html", f"{server}/none/"])
    folder = tmp_path / "data"
    with pytest.raises(ml.MNISTError) as info:
        ml.load_mnist(folder, verbose=False)
    message = str(info.value)
    assert list(folder.iterdir()) == []  # no final file and no temporary file left behind
    assert f"{server}/bad/{ml.TRAIN_IMAGES}.gz: wrong content" in message
    assert f"{server}/html/{ml.TRAIN_IMAGES}.gz: Not a gzipped file" in message
    assert f"{server}/none/{ml.TRAIN_IMAGES}.gz: HTTP Error 404" in message
    assert all(name in message for name in ml.FILES)
    assert f"into\n  {folder}" in message and "MNIST_DIR=" in message


def test_corrupted_mirror_then_good_one(tmp_path, server, monkeypatch):
    monkeypatch.setattr(ml, "MIRRORS", [f"{server}/bad/", f"{server}/html/", f"{server}/good/"])
    folder = tmp_path / "data"
    assert ml.load_mnist(folder, verbose=False)[1].tolist() == [0, 1, 2, 3, 4]
    assert sorted(p.name for p in folder.iterdir()) == sorted(n + ".gz" for n in ml.FILES)


def test_an_unreachable_mirror_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(ml, "MIRRORS", ["http://127.0.0.1:9/"])  # discard port: nothing listens
    with pytest.raises(ml.MNISTError, match=r"127\.0\.0\.1:9/\S+\.gz: .*[Rr]efused"):
        ml.load_mnist(tmp_path / "data", verbose=False)
    assert list((tmp_path / "data").iterdir()) == []


# ------------------------------------------------------------------ the real data

@pytest.mark.skipif(not REAL_MNIST_DIR, reason="set MNIST_DIR to a folder with the real MNIST")
def test_real_mnist_has_the_standard_shapes_and_types():
    X_train, y_train, X_test, y_test = ml.load_mnist(REAL_MNIST_DIR, download=False, verbose=False)
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    assert 0.0 <= X_test.min() <= X_test.max() <= 1.0
    assert set(np.unique(y_train)) == set(range(10)) and set(np.unique(y_test)) == set(range(10))


def test_verify_checks_presence_and_digests_without_copying(tmp_path, synthetic, monkeypatch):
    source = write_all(tmp_path / "gz", synthetic[1], gz=True)
    before = sorted(p.name for p in source.iterdir())
    assert ml.verify(source) == source.resolve()
    assert sorted(p.name for p in source.iterdir()) == before
    monkeypatch.setitem(ml.SHA256, ml.TEST_IMAGES, "0" * 64)
    with pytest.raises(ml.MNISTError, match=f"{ml.TEST_IMAGES}.gz has the wrong content"):
        ml.verify(source)
    assert ml.verify(source, digests=False) == source.resolve()  # presence only: reads nothing
    (source / (ml.TRAIN_LABELS + ".gz")).unlink()
    for digests in (True, False):
        with pytest.raises(ml.MNISTError, match="MNIST files missing: " + ml.TRAIN_LABELS):
            ml.verify(source, digests=digests)
