import os
import sys

import pytest

from autograder import paths

# The loader in source/ must find MNIST without network access.
if "MNIST_DIR" not in os.environ and paths.shared_mnist_dir():
    os.environ["MNIST_DIR"] = str(paths.shared_mnist_dir())


@pytest.fixture(scope="session")
def mnist_available():
    sys.path.insert(0, str(paths.SOURCE_DIR))
    import mnist_loader
    try:
        mnist_loader.load_mnist(download=False, verbose=False)
    except mnist_loader.MNISTError as exc:
        pytest.fail(f"MNIST is needed for the grading tests: {exc}")
    return True
