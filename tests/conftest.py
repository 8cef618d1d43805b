import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_dir():
    """The offline MNIST IDX directory: $AEZOO_MNIST_DIR, else ../shared/data/mnist."""
    directory = os.environ.get("AEZOO_MNIST_DIR") or str(
        _REPO_ROOT.parent / "shared" / "data" / "mnist"
    )
    if not os.path.isdir(directory):
        pytest.skip(
            f"MNIST IDX files not found at {directory}: set AEZOO_MNIST_DIR "
            "(CI does) or provide ../shared/data/mnist"
        )
    return directory
