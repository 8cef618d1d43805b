"""Evaluation data for the checks: arrays, or a dataset of batches, as NumPy."""

import weakref

import keras
import numpy as np
import tensorflow as tf


def collect(x, y=None, sample_weight=None, max_examples=None):
    """Returns `(x, y, sample_weight)` as (nested) NumPy arrays.

    `x` is an array (or a nested structure of arrays) or a `tf.data.Dataset`
    of batches `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`; a dataset is
    read until `max_examples` examples (all of it when `None`).
    """
    if isinstance(x, tf.data.Dataset):
        if y is not None or sample_weight is not None:
            raise ValueError(
                "When `x` is a dataset, `y` and `sample_weight` come from it. "
                f"Received: y={type(y).__name__}, "
                f"sample_weight={type(sample_weight).__name__}"
            )
        x, y, sample_weight = _read_dataset(x, max_examples)
    x, y, sample_weight = (
        None if part is None else keras.tree.map_structure(np.asarray, part)
        for part in (x, y, sample_weight)
    )
    if max_examples is not None:
        x, y, sample_weight = (
            None if part is None else keras.tree.map_structure(lambda a: a[:max_examples], part)
            for part in (x, y, sample_weight)
        )
    return x, y, sample_weight


def num_examples(x):
    return len(keras.tree.flatten(x)[0])


def _read_dataset(dataset, max_examples):
    batches = []
    count = 0
    for batch in dataset:
        batch = _unpack(batch)
        batches.append(batch)
        count += num_examples(batch[0])
        if max_examples is not None and count >= max_examples:
            break
    if not batches:
        raise ValueError("The dataset is empty: the check needs examples.")
    return tuple(
        None
        if batches[0][i] is None
        else keras.tree.map_structure(
            lambda *parts: np.concatenate([np.asarray(p) for p in parts]),
            *[b[i] for b in batches],
        )
        for i in range(3)
    )


def _unpack(batch):
    if isinstance(batch, tuple) and 1 <= len(batch) <= 3:
        return tuple(batch) + (None,) * (3 - len(batch))
    return batch, None, None


def layer_outputs(model, layer, x, batch_size):
    """The output of `layer` (a layer of the functional `model`) for inputs `x`."""
    return keras.tree.map_structure(
        np.asarray, _probe(model, layer).predict(x, batch_size=batch_size, verbose=0)
    )


# One probe model per (model, layer): a check run at every epoch end then
# reuses the probe's traced predict function instead of tracing a new one
# (TensorFlow's "triggered tf.function retracing" warnings, and the time).
_PROBES = weakref.WeakKeyDictionary()


def _probe(model, layer):
    probes = _PROBES.setdefault(model, {})
    if id(layer) not in probes:
        try:
            probes[id(layer)] = (layer, keras.Model(model.input, layer.output))
        except (AttributeError, ValueError) as error:
            raise ValueError(
                f"Cannot read the output of layer '{layer.name}' of model "
                f"'{model.name}': the check needs a functional or Sequential model "
                f"whose layer is used once ({error})"
            ) from None
    return probes[id(layer)][1]
