"""The sequence classifier's data: `(bits, classes, sample_weight)`."""

from aezoo.family import DataLayout


def layout(config):
    """Bit pairs with `sequence_length` steps; streamed (`stream=True`) when
    the configuration is `stateful`, whose `batch_size` must then be the
    one the data is read with."""
    options = {"sequence_length": config["sequence_length"]}
    if config["stateful"]:
        # A stateful model's batch k+1 must continue its batch k row by row.
        options["stream"] = True
    return DataLayout(options)
