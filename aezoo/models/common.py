"""Helpers every model family uses: argument checks and compilation."""

import keras

OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "rmsprop": keras.optimizers.RMSprop,
    "sgd": keras.optimizers.SGD,
}


# Bounds of size-like arguments: far above any model in the zoo, far below
# what makes TensorFlow fail to allocate (a code of 2**40 units).
MAX_UNITS = 1 << 16  # units, filters, code and input sizes, classes, steps
MAX_LAYERS = 1 << 10  # layer counts


def check_int(name, value, minimum=1, maximum=None):
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        raise ValueError(
            f"`{name}` must be an integer >= {minimum}{_at_most(maximum)}. "
            f"Received: {name}={value!r}"
        )
    return value


def _at_most(maximum):
    return "" if maximum is None else f" and <= {maximum}"


def check_float(name, value, minimum=0.0, allow_none=False, strict=False):
    if value is None and allow_none:
        return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = ok and (value > minimum if strict else value >= minimum)
    if not ok or value != value:  # NaN
        relation = ">" if strict else ">="
        none = " or None" if allow_none else ""
        raise ValueError(
            f"`{name}` must be a number {relation} {minimum}{none}. "
            f"Received: {name}={value!r}"
        )
    return float(value)


def check_bool(name, value):
    if not isinstance(value, bool):
        raise ValueError(f"`{name}` must be True or False. Received: {name}={value!r}")
    return value


def check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(
            f"`{name}` must be one of {', '.join(map(repr, choices))}. "
            f"Received: {name}={value!r}"
        )
    return value


def check_int_tuple(name, value, minimum=1, length=None, maximum=None):
    values = tuple(value) if isinstance(value, (list, tuple)) else None
    ok = values is not None and len(values) >= 1
    ok = ok and all(
        isinstance(v, int)
        and not isinstance(v, bool)
        and v >= minimum
        and (maximum is None or v <= maximum)
        for v in values
    )
    ok = ok and (length is None or len(values) == length)
    if not ok:
        size = f"{length} " if length is not None else "a non-empty list of "
        raise ValueError(
            f"`{name}` must be {size}integers >= {minimum}{_at_most(maximum)}. "
            f"Received: {name}={value!r}"
        )
    return values


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
