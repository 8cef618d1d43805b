import keras
import numpy as np
import pytest

import aezoo
from aezoo.diagnostics import CodeCollapseMonitor
from aezoo.diagnostics import code_spread
from aezoo.layers import StridedConvLSTM2D
from tests.diagnostics.events import read_events


def train(model, images, steps, callbacks=()):
    model.fit(images, images, batch_size=64, epochs=steps * 64 // len(images), verbose=0,
              callbacks=list(callbacks))


@pytest.mark.slow
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


def saturated_level_model(frames=40):
    """A conv-LSTM code level whose output saturates at 1 while its cell state varies.

    Gates open (bias 20) except the input gate, sigmoid(2 x): over 40 frames
    the cell state sums to 20..35 depending on the input, so tanh(c), and the
    output h = sigmoid(o) tanh(c), are 1.0 for every input: the state that
    the level also returns is not the code.
    """
    inputs = keras.Input((frames, 1, 1, 1))
    level = StridedConvLSTM2D(
        1, 1, strides=1, return_sequences=False, return_state=True, name="code"
    )
    output, _, _ = level(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(output))
    kernel = np.array([2.0, 0.0, 0.0, 0.0], "float32").reshape(1, 1, 1, 4)
    level.set_weights([kernel, np.zeros((3, 3, 1, 4), "float32"),
                       np.array([0.0, 20.0, 20.0, 20.0], "float32")])
    x = np.broadcast_to(np.linspace(0, 1, 16, dtype="float32")[:, None, None, None, None],
                        (16, frames, 1, 1, 1)).copy()
    return model, x


def test_a_recurrent_code_is_its_output_not_its_states():
    model, x = saturated_level_model()
    _, _, cell = model.get_layer("code")(x)
    assert np.ptp(np.asarray(cell)) > 10  # the state differs between inputs
    verdict = code_spread(model, x)
    assert not verdict.ok
    assert verdict["relative_spread"] == 0.0 and verdict["magnitude"] == pytest.approx(1.0)


def test_a_new_predictor_has_a_spread_code():
    frames = np.random.default_rng(0).random((8, 10, 64, 64, 1)).astype("float32")
    verdict = code_spread(aezoo.build("convlstm_bidir_predictor"), frames)
    assert verdict.ok and verdict["relative_spread"] > 0.1
