"""`predict`: a trained model's outputs on validated inputs."""

import weakref

import numpy as np

from aezoo import registry
from aezoo.artifact.errors import ArtifactError


class InputError(ValueError):
    """Inputs that break a model's contract (rank, shape, dtype, values)."""


def validate_inputs(x, input_shape, *, value_range=None, input_name="inputs"):
    """Checks a batch against a model's input contract; changes nothing.

    Args:
        x: the batch, a numpy array (or array-like).
        input_shape: the model's input shape without the batch dimension.
        value_range: optional `(low, high)` that every value must lie in.
        input_name: the input's name, for messages.

    Returns:
        `x` as a numpy array (the same values, the same dtype).

    Raises:
        InputError: naming the problem and the fix.
    """
    x = np.asarray(x)
    expected = tuple(input_shape)
    want = f"(batch, {', '.join(str(d) for d in expected)})"
    if x.dtype != np.float32:
        hint = "convert it with x.astype('float32')"
        if np.issubdtype(x.dtype, np.integer) and value_range == (0.0, 1.0):
            hint = "scale it to floats in [0, 1], e.g. x.astype('float32') / 255"
        raise InputError(f"{input_name} must be float32; got {x.dtype}: {hint}.")
    if x.ndim == len(expected) and tuple(x.shape) == expected:
        raise InputError(
            f"{input_name} must be a batch of shape {want}; got one example of "
            f"shape {tuple(x.shape)}: add a batch axis, e.g. x[None]."
        )
    if x.ndim != len(expected) + 1:
        raise InputError(f"{input_name} must have rank {len(expected) + 1} {want}; got shape {tuple(x.shape)}.")
    if tuple(x.shape[1:]) != expected:
        raise InputError(f"{input_name} must have shape {want}; got {tuple(x.shape)}.")
    if x.shape[0] == 0:
        raise InputError(f"{input_name} is an empty batch (shape {tuple(x.shape)}).")
    finite = np.isfinite(x)
    if not finite.all():
        index = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise InputError(
            f"{input_name} holds {int((~finite).sum())} NaN or infinite values "
            f"(first at index {index}); clean the input first."
        )
    if value_range is not None:
        low, high = value_range
        x_min, x_max = float(x.min()), float(x.max())
        if x_min < low or x_max > high:
            raise InputError(
                f"{input_name} values must lie in [{low:g}, {high:g}]; got "
                f"[{x_min:g}, {x_max:g}]. Rescale the data the way the model was "
                f"trained (see `aezoo describe`)."
            )
    return x


# One traced inference function per model (see docs/BENCHMARKS.md: calling
# the model inside a `tf.function` beats `model.predict` at every batch size).
_COMPILED = weakref.WeakKeyDictionary()


def predict(model, x, *, name=None, batch_size=64):
    """Runs a trained model on a validated batch.

    Args:
        model: a `keras.Model`, or a model name / artifact folder to `load`.
        x: float32 inputs with a batch dimension.
        name: the registry name, for the value contract (defaults to
            `model.name`).
        batch_size: examples per call; larger batches are split.

    Returns:
        A numpy array, or a dict of named numpy arrays for several outputs.

    Raises:
        InputError: the inputs break the model's contract.

    Example:

    ```python
    frames = np.load("sequence.npy")  # (1, 10, 64, 64, 1) float32 in [0, 1]
    outputs = aezoo.predict("convlstm_bidir_predictor", frames)
    outputs["future"].shape  # (1, 10, 64, 64, 1)
    ```
    """
    import tensorflow as tf

    from aezoo.artifact.loading import load

    if isinstance(model, (str,)) or hasattr(model, "__fspath__"):
        model = load(model)
    if not hasattr(model, "inputs") or not model.inputs:
        raise ArtifactError(f"predict needs a built Keras model; got {type(model).__name__}.")
    name = name or model.name
    info = registry.get_model_info(name) if name in registry.list_models() else None
    x = validate_inputs(
        x,
        tuple(model.inputs[0].shape[1:]),
        value_range=info.value_range if info else None,
        input_name=model.inputs[0].name,
    )
    function = _COMPILED.get(model)
    if function is None:
        # A free batch dimension: one trace per model, whatever the batch sizes
        # (the last, partial batch of a split input included).
        spec = tf.TensorSpec((None,) + tuple(x.shape[1:]), tf.float32)
        function = tf.function(lambda batch: model(batch, training=False), input_signature=[spec])
        _COMPILED[model] = function
    parts = [function(tf.constant(x[i : i + batch_size])) for i in range(0, len(x), batch_size)]
    if isinstance(parts[0], dict):
        return {key: np.concatenate([p[key].numpy() for p in parts]) for key in parts[0]}
    return np.concatenate([p.numpy() for p in parts])
