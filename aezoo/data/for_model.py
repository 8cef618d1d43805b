"""`for_model`: the dataset and target layout a registered model trains on."""

import tensorflow as tf

from aezoo.data.load import finish
from aezoo.data.load import load_batches


def for_model(
    model_name,
    split="train",
    preset="default",
    *,
    batch_size=32,
    shuffle=None,
    seed=0,
    deterministic=True,
    shard=None,
    model_overrides=None,
    **options,
):
    """Loads the data a registered model trains on, shaped for its inputs and outputs.

    The dataset is the model's registered `dataset`; the configuration
    (`preset` updated by `model_overrides`) sets the shapes:

    - `convlstm_bidir_predictor` (moving_mnist): inputs the first `frames_in`
      frames `(batch, frames_in, image_size, image_size, 1)`; targets
      `{"future": the next frames_out frames, "past": the frames_past frames
      before the last input frame, nearest first}`. A view point other than
      the last input frame needs no option: generated sequences are
      stationary (uniform start, bouncing), so a window at any offset of a
      longer sequence has the same distribution as a fresh sequence.
    - `conv_autoencoder` (mnist): `(images, images)`, `(batch, 28, 28, 1)`.
    - `sparse_autoencoder` (mnist): `(images, images)`, `(batch, 784)`.
    - `lstm_sequence_classifier` (bit_pairs): `(bits, classes,
      sample_weight)` with `sequence_length` steps; streams (`stream=True`)
      when the configuration is `stateful`, whose `batch_size` must then be
      the one passed here.
    - `mlp_autoencoder` (signal): `(x, x)` with `input_dim` features.

    Args:
        model_name: a registered model name.
        split: a split of the model's dataset (see `aezoo.data.load`).
        preset: the model preset whose configuration sets the shapes.
        batch_size, shuffle, seed, deterministic, shard: as in
            `aezoo.data.load`.
        model_overrides: dict of configuration overrides, as given to
            `aezoo.build(model_name, preset, **model_overrides)`.
        **options: further dataset options (not those the configuration
            sets).

    Returns:
        A batched, prefetched `tf.data.Dataset`.

    Raises:
        ValueError: unknown model, preset or override (from the registry),
            a configuration the data cannot serve, or an option the
            configuration already sets.

    Example:

    ```python
    train = aezoo.data.for_model("convlstm_bidir_predictor", "train", batch_size=16)
    model = aezoo.build("convlstm_bidir_predictor")
    model.fit(train, epochs=1)
    ```
    """
    # Imported here: aezoo.data must not import aezoo's models at import time.
    from aezoo.registry import get_config
    from aezoo.registry import get_model_info

    info = get_model_info(model_name)
    config = get_config(model_name, preset, **(model_overrides or {}))
    if model_name not in _LAYOUTS:
        raise ValueError(
            f"aezoo.data has no input layout for model '{model_name}' (dataset "
            f"'{info.dataset}'). Use aezoo.data.load('{info.dataset}', ...) and "
            "map it to the model's inputs. Models with a layout: "
            f"{', '.join(sorted(_LAYOUTS))}."
        )
    set_by_config, to_model = _LAYOUTS[model_name](config)
    conflicts = sorted(set(options) & set(set_by_config))
    if conflicts:
        raise ValueError(
            f"Option(s) {', '.join(conflicts)} are set by the configuration of "
            f"'{model_name}' ({', '.join(f'{k}={set_by_config[k]!r}' for k in conflicts)}); "
            "change the configuration with model_overrides instead. Received: "
            f"{', '.join(f'{k}={options[k]!r}' for k in conflicts)}"
        )
    batches = load_batches(
        info.dataset,
        split,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        shard=shard,
        options={**options, **set_by_config},
    )
    if to_model is not None:
        batches = batches.map(to_model, num_parallel_calls=tf.data.AUTOTUNE)
    return finish(batches, deterministic)


def _predictor(config):
    frames_in, frames_out, frames_past = (
        config["frames_in"], config["frames_out"], config["frames_past"]
    )
    if not 1 <= frames_past <= frames_in - 1:
        raise ValueError(
            "`frames_past` counts the input frames before the last one, so it "
            f"must be in [1, frames_in - 1 = {frames_in - 1}]. Received: "
            f"frames_past={frames_past}, frames_in={frames_in}"
        )
    if config["image_channels"] != 1:
        raise ValueError(
            "Moving MNIST frames have 1 channel. Received: "
            f"image_channels={config['image_channels']}"
        )

    def past_and_future(inputs, future):
        # Frames frames_in-2, frames_in-3, ..., frames_in-1-frames_past.
        past = tf.reverse(inputs[:, frames_in - 1 - frames_past : frames_in - 1], axis=[1])
        return inputs, {"future": future, "past": past}

    set_by_config = {
        "num_frames": frames_in + frames_out,
        "input_frames": frames_in,
        "canvas_size": config["image_size"],
    }
    return set_by_config, past_and_future


def _reconstruct(images, labels):
    return images, images


def _image_autoencoder(config):
    _check_mnist_size("image_size", config["image_size"], 28)
    return {"flatten": False}, _reconstruct


def _vector_autoencoder(config):
    _check_mnist_size("input_dim", config["input_dim"], 28 * 28)
    return {"flatten": True}, _reconstruct


def _check_mnist_size(key, value, expected):
    if value != expected:
        raise ValueError(
            f"MNIST digits are 28x28, so `{key}` must be {expected}. "
            f"Received: {key}={value!r}"
        )


def _sequence_classifier(config):
    options = {"sequence_length": config["sequence_length"]}
    if config["stateful"]:
        # A stateful model's batch k+1 must continue its batch k row by row.
        options["stream"] = True
    return options, None


def _signal_autoencoder(config):
    return {"dim": config["input_dim"]}, None


# model name -> function(config) -> (dataset options the config sets,
# a map from the dataset's batches to the model's (inputs, targets) or None).
_LAYOUTS = {
    "convlstm_bidir_predictor": _predictor,
    "conv_autoencoder": _image_autoencoder,
    "sparse_autoencoder": _vector_autoencoder,
    "lstm_sequence_classifier": _sequence_classifier,
    "mlp_autoencoder": _signal_autoencoder,
}
