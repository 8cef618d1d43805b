from types import SimpleNamespace

import numpy as np
import pytest

import aezoo
from aezoo import registry
from aezoo.data import for_model
from aezoo.data import load
from tests.tiers import by_model

# The configuration keys each model family documents (MODELS.md), with
# their default values, so that these tests do not depend on the models.
FAKE_MODELS = {
    "convlstm_bidir_predictor": (
        "moving_mnist",
        dict(frames_in=10, frames_out=10, frames_past=9, image_size=64, image_channels=1),
    ),
    "conv_autoencoder": ("mnist", dict(image_size=28)),
    "sparse_autoencoder": ("mnist", dict(input_dim=784)),
    "lstm_sequence_classifier": ("bit_pairs", dict(sequence_length=20, stateful=False)),
    "mlp_autoencoder": ("signal", dict(input_dim=1)),
    "model_without_layout": ("signal", dict(units=3)),
}


@pytest.fixture
def fake_registry(monkeypatch, mnist_dir):
    """Families with the configurations above and the registered families'
    data layouts (none for `model_without_layout`)."""
    monkeypatch.setenv("AEZOO_MNIST_DIR", mnist_dir)
    registered = registry.get_model_info

    def get_model_info(name):
        if name not in FAKE_MODELS:
            raise ValueError(f"Unknown model name: {name!r}.")
        dataset, defaults = FAKE_MODELS[name]
        layout = registered(name).data_layout if name in registry.list_models() else None
        return SimpleNamespace(
            name=name, dataset=dataset, data_layout=layout,
            config=lambda preset="default", **overrides: {**defaults, **overrides},
        )

    monkeypatch.setattr(registry, "get_model_info", get_model_info)


def first(dataset):
    return next(iter(dataset))


def test_predictor_targets_align_with_the_sequence(fake_registry):
    overrides = dict(frames_in=6, frames_out=3, frames_past=4)
    inputs, targets = first(
        for_model("convlstm_bidir_predictor", "test", batch_size=4, model_overrides=overrides)
    )
    full = np.concatenate(first(load("moving_mnist", "test", batch_size=4)), axis=1)
    assert sorted(targets) == ["future", "past"]
    np.testing.assert_array_equal(inputs, full[:, :6])
    np.testing.assert_array_equal(targets["future"], full[:, 6:9])
    np.testing.assert_array_equal(targets["future"][:, 0], full[:, 6])
    # Past: the frames before the last input frame (index 5), nearest first.
    np.testing.assert_array_equal(targets["past"], full[:, [4, 3, 2, 1]])


def test_predictor_default_shapes(fake_registry):
    dataset = for_model("convlstm_bidir_predictor", "train", batch_size=2, sequences_per_epoch=2)
    inputs, targets = dataset.element_spec
    assert inputs.shape.as_list() == [None, 10, 64, 64, 1]
    assert targets["future"].shape.as_list() == [None, 10, 64, 64, 1]
    assert targets["past"].shape.as_list() == [None, 9, 64, 64, 1]


@pytest.mark.parametrize(
    "name, shape", [("conv_autoencoder", (5, 28, 28, 1)), ("sparse_autoencoder", (5, 784))]
)
def test_mnist_autoencoders_reconstruct_their_inputs(fake_registry, name, shape):
    inputs, targets = first(for_model(name, "test", batch_size=5))
    assert inputs.shape == shape
    np.testing.assert_array_equal(targets, inputs)


@pytest.mark.parametrize("stateful", [False, True])
def test_sequence_classifier(fake_registry, stateful):
    dataset = for_model(
        "lstm_sequence_classifier", "train", batch_size=3, num_sequences=9,
        model_overrides=dict(sequence_length=7, stateful=stateful),
    )
    batches = [[array.numpy() for array in batch] for batch in dataset]
    assert [array.shape for array in batches[0]] == [(3, 7, 1), (3, 7), (3, 7)]
    # Streams mask only the first step of the first batch.
    assert batches[1][2][:, 0].min() == (1.0 if stateful else 0.0)


def test_signal_autoencoder(fake_registry):
    inputs, targets = first(for_model("mlp_autoencoder", "test", batch_size=8))
    assert inputs.shape == (8, 1)
    np.testing.assert_array_equal(targets, inputs)


@pytest.mark.parametrize(
    "name, arguments, error",
    [
        ("no_such_model", {}, r"Unknown model name: 'no_such_model'"),
        ("model_without_layout", {}, r"no input layout for model 'model_without_layout' \(dataset 'signal'\)"),
        ("convlstm_bidir_predictor", dict(num_frames=12), r"num_frames are set by the configuration.*\(num_frames=20\).*Received: num_frames=12"),
        ("convlstm_bidir_predictor", dict(model_overrides=dict(frames_past=10)), r"must be in \[1, frames_in - 1 = 9\]. Received: frames_past=10"),
        ("convlstm_bidir_predictor", dict(model_overrides=dict(image_channels=3)), r"Received: image_channels=3"),
        ("conv_autoencoder", dict(model_overrides=dict(image_size=32)), r"`image_size` must be 28. Received: image_size=32"),
        ("sparse_autoencoder", dict(model_overrides=dict(input_dim=100)), r"`input_dim` must be 784. Received: input_dim=100"),
    ],
)
def test_errors(fake_registry, name, arguments, error):
    with pytest.raises(ValueError, match=error):
        for_model(name, "test", **arguments)


@pytest.mark.parametrize("name", by_model(registry.list_models()))
def test_for_model_fits_the_registered_model(name, monkeypatch, mnist_dir):
    """Each registered model's inputs and outputs match its data, and it trains on it."""
    monkeypatch.setenv("AEZOO_MNIST_DIR", mnist_dir)
    model = aezoo.build(name)
    dataset = for_model(name, "test", batch_size=2)
    inputs, targets = dataset.element_spec[:2]
    assert inputs.shape[1:] == model.inputs[0].shape[1:]
    outputs = model.output
    if isinstance(targets, dict):
        assert sorted(targets) == sorted(outputs)
        pairs = [(targets[key], outputs[key]) for key in targets]
    else:
        pairs = [(targets, outputs)]
    for target, output in pairs:
        # Dense targets have the output's shape; class labels drop the class axis.
        assert target.shape[1:] in (output.shape[1:], output.shape[1:-1]), (target, output)
    history = model.fit(dataset.take(1), shuffle=False, verbose=0)
    assert np.isfinite(history.history["loss"][0])
