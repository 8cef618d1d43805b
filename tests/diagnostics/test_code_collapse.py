import keras
import numpy as np
import pytest

import aezoo
from aezoo.diagnostics import CodeCollapseMonitor
from aezoo.diagnostics import code_spread
from tests.diagnostics.events import read_events


def train(model, images, steps, callbacks=()):
    model.fit(images, images, batch_size=64, epochs=steps * 64 // len(images), verbose=0,
              callbacks=list(callbacks))


def test_as_posted_collapses_and_default_does_not(mnist_images, tmp_path):
    train_images, test_images = mnist_images[:1536], mnist_images[1536:]
    posted = aezoo.build("conv_autoencoder", "as_posted")
    monitor = CodeCollapseMonitor(test_images, log_dir=str(tmp_path), verbose=0)
    train(posted, train_images, 288, [monitor])
    collapsed = monitor.verdict
    assert not collapsed.ok
    assert collapsed["relative_spread"] < 1e-3
    assert collapsed["collapsed_fraction"] > 0.9
    assert collapsed["input_relative_spread"] > 1
    assert collapsed.message.startswith("The code is collapsed")
    # It starts spread out and collapses while it trains.
    assert monitor.history[0][1]["relative_spread"] > monitor.history[-1][1]["relative_spread"]
    events = read_events(str(tmp_path))
    steps = [step for step, _ in events["code_collapse/relative_spread"]]
    assert steps == [24 * epoch for epoch in range(1, 13)]
    for tag in ("dimension_spread", "ok", "verdict"):
        assert f"code_collapse/{tag}" in events

    default = aezoo.build("conv_autoencoder")
    train(default, train_images, 288)
    healthy = code_spread(default, test_images)
    assert healthy.ok
    assert healthy["relative_spread"] > 0.1
    assert healthy["collapsed_fraction"] == 0.0


def constant_code_model(code_size=8):
    image = keras.Input((28, 28, 1))
    x = keras.layers.Flatten()(image)
    code = keras.layers.Dense(
        code_size, kernel_initializer="zeros", bias_initializer="ones", name="code"
    )(x)
    return keras.Model(image, keras.layers.Dense(784)(code))


def test_constant_code_is_collapsed_random_init_is_not():
    images = np.random.default_rng(0).random((64, 28, 28, 1)).astype("float32")
    verdict = code_spread(constant_code_model(), images)
    assert not verdict.ok
    assert verdict["relative_spread"] == 0.0 and verdict["magnitude"] == pytest.approx(1.0)
    assert verdict["collapsed_fraction"] == 1.0
    verdict = code_spread(aezoo.build("conv_autoencoder"), images)
    assert verdict.ok and verdict["relative_spread"] > 0.1


def test_code_spread_errors_and_datasets():
    import tensorflow as tf

    model = aezoo.build("conv_autoencoder")
    same = np.ones((16, 28, 28, 1), "float32")
    with pytest.raises(ValueError, match="inputs are identical"):
        code_spread(model, same)
    with pytest.raises(ValueError, match="at least 2"):
        code_spread(model, same[:1])
    with pytest.raises(ValueError, match="No such layer"):
        code_spread(model, same, layer_name="bottleneck")
    images = np.random.default_rng(0).random((40, 28, 28, 1)).astype("float32")
    batches = tf.data.Dataset.from_tensor_slices((images, images)).batch(16)
    from_dataset = code_spread(model, batches)
    assert from_dataset["examples"] == 40
    from_arrays = code_spread(model, images)
    expected = pytest.approx(from_arrays["relative_spread"], rel=1e-5)
    assert from_dataset["relative_spread"] == expected
