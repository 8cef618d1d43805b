import keras
import numpy as np
import pytest
from keras.src import testing

from aezoo.layers import StridedConvLSTM2D
from tests.layers.conv_lstm_cases import check_against_reference


@pytest.mark.parametrize("unroll", [False, True])
@pytest.mark.parametrize("with_initial_state", [False, True])
@pytest.mark.parametrize("kernel_size,padding", [(3, "same"), (2, "valid")])
def test_matches_numpy_reference(kernel_size, padding, with_initial_state, unroll):
    check_against_reference(
        StridedConvLSTM2D, False, (2, 3, 6, 8, 2), 2, kernel_size, padding,
        unroll, with_initial_state,
    )


def test_matches_keras_convlstm2d_when_kernels_agree():
    # With one kernel size for both maps, our level is Keras' ConvLSTM2D
    # (same gate order and weight layout), so the two must agree exactly.
    rng = np.random.default_rng(0)
    x = rng.random((2, 4, 8, 8, 2), "float32")
    ours = StridedConvLSTM2D(3, kernel_size=3, strides=1, recurrent_kernel_size=3)
    theirs = keras.layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True)
    ours.build(x.shape)
    theirs.build(x.shape)
    weights = [rng.normal(0, 0.3, w.shape).astype("float32") for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    np.testing.assert_allclose(ours(x), theirs(x), atol=1e-5)


class StridedConvLSTM2DTest(testing.TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            StridedConvLSTM2D,
            init_kwargs={"filters": 3, "kernel_size": 3, "strides": 2},
            input_shape=(2, 4, 8, 6, 2),
            expected_output_shape=(2, 4, 4, 3, 3),
            expected_num_trainable_weights=3,
            expected_num_non_trainable_weights=0,
            supports_masking=False,
        )

    def test_layer_harness_last_output_and_states(self):
        self.run_layer_test(
            StridedConvLSTM2D,
            init_kwargs={
                "filters": 2,
                "kernel_size": 2,
                "padding": "valid",
                "return_sequences": False,
                "return_state": True,
            },
            input_shape=(2, 3, 8, 8, 1),
            expected_output_shape=[(2, 4, 4, 2)] * 3,
            run_training_check=False,
            supports_masking=False,
        )

    def test_forget_bias_starts_at_one(self):
        layer = StridedConvLSTM2D(4)
        layer.build((None, 2, 8, 8, 1))
        bias = np.asarray(layer.bias)
        np.testing.assert_array_equal(bias[4:8], 1.0)
        np.testing.assert_array_equal(np.delete(bias, range(4, 8)), 0.0)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, r"Received: kernel_size=\(3, 3, 3\)"):
            StridedConvLSTM2D(2, kernel_size=(3, 3, 3))
        with self.assertRaisesRegex(ValueError, "to an empty state"):
            StridedConvLSTM2D(2, kernel_size=5, padding="valid")(np.zeros((1, 2, 4, 4, 1), "float32"))
        with self.assertRaisesRegex(ValueError, "static spatial dimensions"):
            StridedConvLSTM2D(2)(keras.Input((3, None, None, 1)))
