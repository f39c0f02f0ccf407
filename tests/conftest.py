import os
import sys

import pytest

from autograder.course import environment, layout

# The loader in source/ must find MNIST without network access.
if "MNIST_DIR" not in os.environ and environment.shared_mnist_dir():
    os.environ["MNIST_DIR"] = str(environment.shared_mnist_dir())


@pytest.fixture(scope="session")
def mnist_available():
    sys.path.insert(0, str(layout.SOURCE_DIR))
    import mnist_loader
    try:
        mnist_loader.load_mnist(download=False, verbose=False)
    except mnist_loader.MNISTError as exc:
        pytest.fail(f"MNIST is needed for the grading tests: {exc}")
    return True


# Tiers: `kernel` tests run notebooks in Jupyter kernels (nbgrader, sandboxes, the class run);
# `make test-fast` runs everything else.  The browser tier marks itself (tests/browser/conftest.py).
KERNEL_FILES = {"test_adversarial.py", "test_class_grading.py", "test_companion_notebook.py", "test_faults.py",
                "test_grading.py"}
KERNEL_FIXTURES = {"template", "zygote"}  # test_sandbox.py: a course template, the kernel zygote


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.name in KERNEL_FILES or KERNEL_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.kernel)
