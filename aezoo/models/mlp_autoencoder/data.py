"""The MLP autoencoder's data: `(x, x)` signals with `input_dim` features."""

from aezoo.family import DataLayout

# 10,000 fresh inputs (issue 6): the evaluation protocol's test split.
EVALUATION_OPTIONS = {"num_examples": 10_000}


def layout(config):
    """The `signal` dataset with the configuration's `input_dim`."""
    return DataLayout({"dim": config["input_dim"]})
