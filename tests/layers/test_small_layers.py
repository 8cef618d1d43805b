"""RepeatFrames, TransposeBatchTime and SharedGaussianNoise."""

import numpy as np
import pytest
from keras.src import testing

from aezoo.layers import RepeatFrames
from aezoo.layers import SharedGaussianNoise
from aezoo.layers import TransposeBatchTime


class RepeatFramesTest(testing.TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            RepeatFrames,
            init_kwargs={"frames": 3},
            input_shape=(2, 4, 5, 6),
            expected_output_shape=(2, 3, 4, 5, 6),
            expected_num_trainable_weights=0,
            supports_masking=False,
            run_training_check=False,
        )

    def test_every_frame_is_the_input(self):
        x = np.arange(24, dtype="float32").reshape(2, 3, 4)
        y = np.asarray(RepeatFrames(5)(x))
        for t in range(5):
            np.testing.assert_array_equal(y[:, t], x)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "Received: frames=0"):
            RepeatFrames(0)


class TransposeBatchTimeTest(testing.TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            TransposeBatchTime,
            init_kwargs={},
            input_shape=(4, 2, 3),
            expected_output_shape=(2, 4, 3),
            supports_masking=False,
            run_training_check=False,
        )

    def test_swaps_axes(self):
        x = np.arange(24, dtype="float32").reshape(4, 2, 3)
        np.testing.assert_array_equal(TransposeBatchTime()(x), x.transpose(1, 0, 2))


class SharedGaussianNoiseTest(testing.TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            SharedGaussianNoise,
            init_kwargs={"stddev": 0.1, "seed": 3},
            input_shape=(2, 5),
            expected_output_shape=(2, 5),
            expected_num_seed_generators=1,
            supports_masking=True,
            run_training_check=False,
        )

    def test_one_draw_for_the_batch_only_in_training(self):
        x = np.zeros((64, 200), "float32")
        layer = SharedGaussianNoise(0.5, seed=1)
        noisy = np.asarray(layer(x, training=True))
        np.testing.assert_array_equal(noisy, np.broadcast_to(noisy[0], noisy.shape))
        assert noisy[0].std() == pytest.approx(0.5, rel=0.2)
        np.testing.assert_array_equal(layer(x, training=False), x)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "Received: stddev=-1.0"):
            SharedGaussianNoise(-1.0)
