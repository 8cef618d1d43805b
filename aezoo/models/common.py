"""Helpers every model family uses: argument checks and compilation.

The generic checks (`check_int`, `check_float`, `check_bool`,
`check_choice`, `check_int_tuple`) are `aezoo.validation`'s, imported here
for the families (`common.check_int(...)`); the Keras-specific ones
(`activation`, `check_initializer`) are here.
"""

import keras

from aezoo.validation import check_bool  # noqa: F401 (for the families)
from aezoo.validation import check_choice
from aezoo.validation import check_float
from aezoo.validation import check_int  # noqa: F401 (for the families)
from aezoo.validation import check_int_tuple  # noqa: F401 (for the families)

OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "rmsprop": keras.optimizers.RMSprop,
    "sgd": keras.optimizers.SGD,
}


# Bounds of size-like arguments: far above any model in the zoo, far below
# what makes TensorFlow fail to allocate (a code of 2**40 units).
MAX_UNITS = 1 << 16  # units, filters, code and input sizes, classes, steps
MAX_LAYERS = 1 << 10  # layer counts


def activation(name, value):
    """Resolves an activation name, naming the argument when it is unknown."""
    try:
        return keras.activations.get(value)
    except (ValueError, TypeError):
        raise ValueError(
            f"`{name}` must be a Keras activation name. Received: {name}={value!r}"
        ) from None


def check_initializer(name, value):
    """Validates an initializer identifier (string or Keras config dict).

    Returns the identifier itself, so that each layer builds its own
    initializer instance (one unseeded instance reused across layers would
    give them identical weights).
    """
    try:
        keras.initializers.get(value)
        return value
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"`{name}` must be a Keras initializer name or config dict. "
            f"Received: {name}={value!r} ({error})"
        ) from None


def make_optimizer(optimizer, learning_rate, global_clipnorm=None, clipvalue=None):
    """A fresh optimizer from the preset's keys (validated)."""
    check_choice("optimizer", optimizer, tuple(OPTIMIZERS))
    learning_rate = check_float("learning_rate", learning_rate, strict=True)
    global_clipnorm = check_float(
        "global_clipnorm", global_clipnorm, strict=True, allow_none=True
    )
    clipvalue = check_float("clipvalue", clipvalue, strict=True, allow_none=True)
    return OPTIMIZERS[optimizer](
        learning_rate=learning_rate,
        global_clipnorm=global_clipnorm,
        clipvalue=clipvalue,
    )


def training_keys(optimizer, learning_rate, global_clipnorm=None, clipvalue=None):
    """The preset keys that every family shares (for preset tables)."""
    return {
        "optimizer": optimizer,
        "learning_rate": learning_rate,
        "global_clipnorm": global_clipnorm,
        "clipvalue": clipvalue,
    }
