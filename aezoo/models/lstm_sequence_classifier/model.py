"""Per-step LSTM classifier of a bit stream (seed 002).

Input bits `(batch, time, 1)`; each step's class is `2 * previous + current`
(4 classes), so the model must remember one step. Stacked LSTMs with
`return_sequences=True` and a per-step softmax. The post fed the sequences
time-major by mistake, so the recurrence ran across sequences and the model
could only use the current bit; `as_posted` reproduces that with
`TransposeBatchTime` around the LSTMs.
"""

import keras

from aezoo.layers import TransposeBatchTime
from aezoo.models import common

PRESETS = {
    "default": {
        "sequence_length": 20,
        "num_classes": 4,
        "units": 8,
        "num_layers": 2,
        "time_major": False,
        "stateful": False,
        "batch_size": None,
        **common.training_keys("adam", 1e-2, global_clipnorm=1.0),
    },
    # The post: T=2, two LSTM(5), SGD 0.1, global-norm clipping 10, and the
    # time-major layout mistake.
    "as_posted": {
        "sequence_length": 2,
        "num_classes": 4,
        "units": 5,
        "num_layers": 2,
        "time_major": True,
        "stateful": False,
        "batch_size": None,
        **common.training_keys("sgd", 0.1, global_clipnorm=10.0),
    },
}



def lstm_sequence_classifier(**config):
    """Stacked-LSTM per-step classifier of bit pairs (seed 002)."""
    return _create_lstm_sequence_classifier(**config)


def _create_lstm_sequence_classifier(
    sequence_length,
    num_classes,
    units,
    num_layers,
    time_major,
    stateful,
    batch_size,
    optimizer,
    learning_rate,
    global_clipnorm,
    clipvalue,
):
    if sequence_length is not None:
        common.check_int("sequence_length", sequence_length, maximum=common.MAX_UNITS)
    common.check_int("num_classes", num_classes, minimum=2, maximum=common.MAX_UNITS)
    common.check_int("units", units, maximum=common.MAX_UNITS)
    common.check_int("num_layers", num_layers, maximum=common.MAX_LAYERS)
    common.check_bool("time_major", time_major)
    common.check_bool("stateful", stateful)
    if batch_size is not None:
        common.check_int("batch_size", batch_size, maximum=common.MAX_UNITS)
    if stateful and batch_size is None and not time_major:
        raise ValueError(
            "A stateful model carries one state per batch row, so it needs a "
            "fixed `batch_size`. Received: stateful=True, batch_size=None"
        )

    bits = keras.Input((sequence_length, 1), batch_size=batch_size, name="bits")
    x = TransposeBatchTime(name="time_major")(bits) if time_major else bits
    for index in range(1, num_layers + 1):
        x = keras.layers.LSTM(
            units, return_sequences=True, stateful=stateful, name=f"lstm{index}"
        )(x)
    if time_major:
        x = TransposeBatchTime(name="batch_major")(x)
    classes = keras.layers.Dense(num_classes, activation="softmax", name="classes")(x)
    model = keras.Model(bits, classes, name="lstm_sequence_classifier")
    model.compile(
        optimizer=common.make_optimizer(
            optimizer, learning_rate, global_clipnorm, clipvalue
        ),
        loss="sparse_categorical_crossentropy",
        weighted_metrics=["sparse_categorical_accuracy"],
    )
    return model
