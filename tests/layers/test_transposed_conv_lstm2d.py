import numpy as np
import pytest
import tensorflow as tf
from keras.src import testing

from aezoo.layers import StridedConvLSTM2D
from aezoo.layers import TransposedConvLSTM2D
from tests.layers.conv_lstm_cases import check_against_reference
from tests.backend_marks import tensorflow_only


@pytest.mark.parametrize("unroll", [False, True])
@pytest.mark.parametrize("with_initial_state", [False, True])
@pytest.mark.parametrize("kernel_size,padding", [(3, "same"), (2, "valid"), (4, "same")])
def test_matches_numpy_reference(kernel_size, padding, with_initial_state, unroll):
    check_against_reference(
        TransposedConvLSTM2D, True, (2, 3, 3, 4, 3), 2, kernel_size, padding,
        unroll, with_initial_state,
    )


def test_numpy_reference_is_the_gradient_of_a_strided_conv():
    # The reference's cropping must be right for the test above to mean
    # anything: a transposed convolution is the adjoint of the convolution.
    from tests.layers import numpy_reference

    rng = np.random.default_rng(1)
    for kernel_size, padding in [(3, "same"), (2, "valid"), (4, "same")]:
        kernel = rng.normal(size=(kernel_size, kernel_size, 3, 2))
        x = rng.normal(size=(6, 8, 3))
        y = numpy_reference.conv2d(x, kernel, 2, padding)
        dy = rng.normal(size=y.shape)
        dx = numpy_reference.conv2d_transpose(dy, kernel, 2, padding)
        assert dx.shape == x.shape
        np.testing.assert_allclose(np.sum(y * dy), np.sum(x * dx), rtol=1e-10)


class TransposedConvLSTM2DTest(testing.TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            TransposedConvLSTM2D,
            init_kwargs={"filters": 3, "kernel_size": 3, "strides": 2},
            input_shape=(2, 4, 5, 6, 2),
            expected_output_shape=(2, 4, 10, 12, 3),
            expected_num_trainable_weights=3,
            expected_num_non_trainable_weights=0,
            supports_masking=False,
        )

    def test_layer_harness_last_output_and_states(self):
        self.run_layer_test(
            TransposedConvLSTM2D,
            init_kwargs={
                "filters": 2,
                "kernel_size": 2,
                "padding": "valid",
                "return_sequences": False,
                "return_state": True,
                "unroll": True,
            },
            input_shape=(2, 3, 4, 4, 1),
            expected_output_shape=[(2, 8, 8, 2)] * 3,
            run_training_check=False,
            supports_masking=False,
        )

    @tensorflow_only
    def test_under_tf_function_and_in_fit(self):
        import keras

        inputs = keras.Input((4, 8, 8, 2))
        _, h, c = StridedConvLSTM2D(3, return_state=True, return_sequences=False)(inputs)
        code = keras.Input((4, 2, 2, 5))
        decoded = TransposedConvLSTM2D(3)(code, initial_state=[h, c])
        model = keras.Model([inputs, code], decoded)
        model.compile("adam", "mse")
        rng = np.random.default_rng(0)
        x = [rng.random((8, 4, 8, 8, 2), "float32"), rng.random((8, 4, 2, 2, 5), "float32")]
        y = rng.random((8, 4, 4, 4, 3), "float32")
        eager = model(x)
        graph = tf.function(model)(x)
        np.testing.assert_allclose(eager, graph, atol=1e-6)
        history = model.fit(x, y, epochs=5, batch_size=4, verbose=0)
        assert history.history["loss"][-1] < history.history["loss"][0]
        # The decoder's initial state is the encoder's: its gradient reaches the encoder.
        encoder = model.layers[1]
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(model(x))
        grads = tape.gradient(loss, encoder.trainable_weights)
        assert all(float(tf.reduce_max(tf.abs(g))) > 0 for g in grads)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "Received: filters=0"):
            TransposedConvLSTM2D(0)
        with self.assertRaisesRegex(ValueError, "Received: padding='full'"):
            TransposedConvLSTM2D(2, padding="full")
        with self.assertRaisesRegex(ValueError, r"Received: strides=\(2, 0\)"):
            TransposedConvLSTM2D(2, strides=(2, 0))
        layer = TransposedConvLSTM2D(2, unroll=True)
        with self.assertRaisesRegex(ValueError, "must be a list"):
            layer(np.zeros((1, 2, 2, 2, 1), "float32"), initial_state=[np.zeros((1, 4, 4, 2), "float32")])
        with self.assertRaisesRegex(ValueError, r"initial state of shape \(None, 4, 4, 2\).*Received.*\(1, 3, 3, 2\)"):
            bad = np.zeros((1, 3, 3, 2), "float32")
            layer(np.zeros((1, 2, 2, 2, 1), "float32"), initial_state=[bad, bad])
        with self.assertRaisesRegex(ValueError, "expected ndim=5"):
            layer(np.zeros((1, 2, 2, 1), "float32"))
