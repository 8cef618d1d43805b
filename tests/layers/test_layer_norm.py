"""`layer_norm=True` on the conv-LSTM levels: normalized gate maps."""

import numpy as np
import pytest
from keras.src import testing

from aezoo.layers import StridedConvLSTM2D
from aezoo.layers import TransposedConvLSTM2D

LEVELS = [StridedConvLSTM2D, TransposedConvLSTM2D]


def _frames(seed=0):
    return np.random.default_rng(seed).random((2, 4, 8, 8, 3)).astype("float32")


@pytest.mark.parametrize("layer_class", LEVELS)
@pytest.mark.parametrize("unroll", [False, True])
def test_gates_do_not_depend_on_the_input_scale(layer_class, unroll):
    # Both maps are normalized, so scaling the frames changes nothing; the
    # same layer without normalization saturates differently.
    x = _frames()
    normalized = layer_class(4, 3, layer_norm=True, unroll=unroll)
    np.testing.assert_allclose(normalized(10 * x), normalized(x), atol=1e-3)  # eps 1e-5
    plain = layer_class(4, 3, unroll=unroll)
    assert np.abs(np.asarray(plain(10 * x)) - np.asarray(plain(x))).max() > 1e-2


@pytest.mark.parametrize("layer_class", LEVELS)
def test_unroll_and_scan_agree(layer_class):
    scan = layer_class(4, 3, layer_norm=True)
    unrolled = layer_class(4, 3, layer_norm=True, unroll=True)
    x = _frames(1)
    scan(x), unrolled(x)
    weights = [np.random.default_rng(i).normal(size=w.shape).astype("float32") * 0.3
               for i, w in enumerate(scan.get_weights())]
    scan.set_weights(weights)
    unrolled.set_weights(weights)
    np.testing.assert_allclose(scan(x), unrolled(x), atol=1e-5)


class LayerNormHarnessTest(testing.TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            StridedConvLSTM2D,
            init_kwargs={"filters": 2, "kernel_size": 3, "layer_norm": True},
            input_shape=(2, 3, 8, 8, 1),
            expected_output_shape=(2, 3, 4, 4, 2),
            # kernel, recurrent kernel, bias, two scales
            expected_num_trainable_weights=5,
            supports_masking=False,
        )


def test_errors():
    with pytest.raises(ValueError, match="use cell='lstm'"):
        StridedConvLSTM2D(2, layer_norm=True, cell="posted")
    with pytest.raises(ValueError, match="Received: layer_norm=1"):
        StridedConvLSTM2D(2, layer_norm=1)
