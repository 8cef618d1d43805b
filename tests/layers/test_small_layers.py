"""RepeatFrames, TransposeBatchTime, SharedGaussianNoise and HazeFloor."""

import numpy as np
import pytest
from keras.src import testing

from aezoo.layers import HazeFloor
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


class HazeFloorTest(testing.TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            HazeFloor,
            init_kwargs={"threshold": 0.1},
            input_shape=(2, 3, 4, 4, 1),
            expected_output_shape=(2, 3, 4, 4, 1),
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=0,
            supports_masking=True,
            run_training_check=False,
        )

    def test_blackens_values_below_the_threshold_and_keeps_those_above_twice_it(self):
        x = np.array([[0.0, 0.02, 0.1, 0.125, 0.15, 0.2, 0.35, 1.0]], "float32")
        np.testing.assert_allclose(
            HazeFloor(0.1)(x), [[0.0, 0.0, 0.0, 0.05, 0.1, 0.2, 0.35, 1.0]], atol=1e-7
        )
        np.testing.assert_array_equal(HazeFloor(0.1)(x, training=False), HazeFloor(0.1)(x))

    def test_continuous_so_small_rounding_stays_small(self):
        x = np.linspace(0.0, 1.0, 100_001, dtype="float32")
        y = np.asarray(HazeFloor(0.1)(x))
        assert np.abs(np.diff(y)).max() <= 2 * np.diff(x).max() + 1e-6

    def test_identity_in_training_and_at_zero(self):
        x = np.random.default_rng(0).uniform(size=(3, 7)).astype("float32")
        np.testing.assert_array_equal(HazeFloor(0.4)(x, training=True), x)
        np.testing.assert_array_equal(HazeFloor(0.0)(x), x)

    def test_config_round_trip(self):
        layer = HazeFloor.from_config(HazeFloor(0.25, name="floor").get_config())
        assert (layer.threshold, layer.name) == (0.25, "floor")

    def test_errors(self):
        for bad in (0.5, -0.1, "0.1", True, float("nan")):
            with self.assertRaisesRegex(ValueError, "must be a number in \\[0, 0.5\\)"):
                HazeFloor(bad)
