"""Shared harness: small deterministic batches for any registered model."""

import keras
import numpy as np

import aezoo
from aezoo.keras_workarounds import build_training_state

# Small sizes so every registered model and preset trains in seconds; the
# factories' own defaults are covered by test_defaults_build_at_full_size.
SMALL = {
    "convlstm_bidir_predictor": {"frames_in": 4, "frames_out": 3, "frames_past": 3},
}


def all_models_and_presets():
    return [(name, preset) for name in aezoo.list_models() for preset in aezoo.list_presets(name)]


def build_small(name, preset):
    overrides = dict(SMALL.get(name, {}))
    return aezoo.build(name, preset, **overrides)


def example_batch(model, batch_size=4, seed=0):
    """Inputs in [0, 1] shaped like the model's input, targets like its outputs.

    Sequence classifiers (integer targets) get class labels; every other
    output gets values in [0, 1].
    """
    rng = np.random.default_rng(seed)
    shape = tuple(batch_size if d is None else d for d in model.inputs[0].shape)
    if model.inputs[0].shape[0] is not None:  # a fixed-batch (stateful) model
        shape = tuple(model.inputs[0].shape)
    x = rng.random(shape).astype("float32")

    def target(output):
        out_shape = (shape[0],) + tuple(output.shape[1:])
        if _is_classifier(model):
            return rng.integers(0, out_shape[-1], out_shape[:-1]).astype("int32")
        return rng.random(out_shape).astype("float32")

    outputs = model.output
    if isinstance(outputs, dict):
        y = {key: target(value) for key, value in outputs.items()}
    else:
        y = target(outputs)
    return x, y


def ready_to_train(model, x, y):
    """Builds `model`'s optimizer, loss and metric state from `(x, y)`, as
    `aezoo.train` does before `fit` on TensorFlow, so that its first traced
    step is traced once, not twice (`build_training_state`). Returns `model`."""
    if keras.backend.backend() == "tensorflow":
        build_training_state(model, (x, y))
    return model


def _is_classifier(model):
    return "crossentropy" in str(model.loss)
