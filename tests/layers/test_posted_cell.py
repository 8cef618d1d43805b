"""The posted cell of seed 000 (`cell="posted"`) against a NumPy transcription
of the post's TF1 `ConvCell`."""

import keras
import numpy as np
import pytest

from aezoo.layers import StridedConvLSTM2D
from aezoo.layers import TransposedConvLSTM2D
from tests.layers.numpy_reference import posted_conv_lstm


@pytest.mark.parametrize("layer_class,transposed,shape", [
    (StridedConvLSTM2D, False, (2, 3, 8, 8, 2)),
    (TransposedConvLSTM2D, True, (2, 3, 4, 4, 2)),
])
def test_posted_cell_matches_the_post(layer_class, transposed, shape):
    rng = np.random.default_rng(0)
    x = rng.random(shape, "float32")
    layer = layer_class(3, kernel_size=2, strides=2, padding="valid", cell="posted", return_state=True)
    layer.build(x.shape)
    weights = [rng.normal(0, 0.4, w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(weights)
    x_kernel, h_kernel, c_kernel, bias = weights
    sequence, h, c = (np.asarray(t) for t in layer(x))
    expected = posted_conv_lstm(x, x_kernel, h_kernel, c_kernel, bias, 3, 2, "valid", transposed)
    for ours, theirs in zip((sequence, h, c), expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    assert sequence.shape[-1] == 6  # states carry [conv(h), conv(x)]: 2 * filters


def test_posted_cell_round_trips_its_config():
    layer = StridedConvLSTM2D(4, kernel_size=2, padding="valid", cell="posted")
    clone = StridedConvLSTM2D.from_config(layer.get_config())
    assert clone.cell == "posted" and clone.state_channels == 8 and clone.projection_channels == 7


def test_unknown_cell_is_refused():
    with pytest.raises(ValueError, match=r"`cell` must be one of \('lstm', 'posted'\). Received: cell='gru'"):
        StridedConvLSTM2D(4, kernel_size=2, cell="gru")


def test_posted_state_is_unbounded_and_lstm_state_is_not():
    # With the same positive weights, the posted output c * sigmoid(o) of a
    # ReLU candidate grows with the input; the standard cell's
    # h = sigmoid(o) * tanh(c) stays in (-1, 1).
    x = np.full((1, 6, 8, 8, 1), 50.0, "float32")
    outputs = {}
    for cell in ("posted", "lstm"):
        layer = StridedConvLSTM2D(2, kernel_size=2, padding="valid", cell=cell)
        layer.build(x.shape)
        layer.set_weights([np.full(w.shape, 0.1, "float32") for w in layer.get_weights()])
        outputs[cell] = float(np.abs(np.asarray(layer(x))).max())
    assert outputs["posted"] > 100.0
    assert outputs["lstm"] < 1.0
