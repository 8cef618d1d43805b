from unittest import mock

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from tensorflow_datasets.video.moving_sequence import image_as_moving_sequence

from aezoo.data import DataNotFoundError
from aezoo.data import load
from aezoo.data import read_mnist
from aezoo.data.moving_mnist import render_sequences
from aezoo.data.moving_mnist import trajectories


@pytest.fixture(scope="module")
def digits(mnist_dir):
    images, _ = read_mnist(mnist_dir, "test")
    return images[:2]


def render(digit_images, start, velocity, num_frames=20, canvas_size=64):
    """Sequences of one batch element; digit_images uint8 (n, 28, 28)."""
    frames = render_sequences(
        tf.constant(digit_images[None], tf.float32) / 255.0,
        tf.constant([start], tf.float32),
        tf.constant([velocity], tf.float32),
        num_frames=num_frames,
        canvas_size=canvas_size,
    )
    return frames.numpy()[0, ..., 0]


@pytest.mark.parametrize(
    "start, velocity",
    [
        ((0.5, 0.5), (0.1, 0.0)),
        ((0.05, 0.93), (-0.0707, 0.0707)),
        ((0.0, 1.0), (0.6, -0.8)),
        ((0.31, 0.77), (0.0, 0.0)),
    ],
)
def test_frames_match_tfds_image_as_moving_sequence(digits, start, velocity):
    """Same rules as the reference generator: same frames, pixel for pixel."""
    reference = image_as_moving_sequence(
        tf.constant(digits[0][..., None]),
        sequence_length=20,
        output_size=(64, 64),
        velocity=tf.constant(velocity, tf.float32),
        start_position=tf.constant(start, tf.float32),
    ).image_sequence
    ours = render(digits[:1], [start], [velocity])
    np.testing.assert_array_equal(ours * 255.0, reference.numpy()[..., 0].astype(np.float32))


def test_digits_stay_on_canvas(digits):
    """Nothing is cut off: every frame holds all of the digit's ink."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        direction = rng.normal(size=2)
        frames = render(digits[:1], [rng.uniform(size=2)], [0.1 * direction / np.linalg.norm(direction)])
        np.testing.assert_allclose(frames.sum(axis=(1, 2)), digits[0].sum() / 255.0, rtol=1e-5)


def test_two_digits_combine_by_maximum(digits):
    starts, velocities = [(0.1, 0.2), (0.8, 0.6)], [(0.06, 0.08), (-0.1, 0.0)]
    both = render(digits, starts, velocities)
    first = render(digits[:1], starts[:1], velocities[:1])
    second = render(digits[1:], starts[1:], velocities[1:])
    np.testing.assert_array_equal(both, np.maximum(first, second))
    assert np.all(first.sum(axis=(1, 2)) > 10) and np.all(second.sum(axis=(1, 2)) > 10)


def test_constant_speed_and_bounces():
    """A solid 28x28 block shows its top-left corner in every frame."""
    block = np.full((1, 28, 28), 255, np.uint8)
    frames = render(block, [(0.5, 0.25)], [(0.1, -0.05)], num_frames=40)
    corners = np.array([np.argwhere(frame)[0] for frame in frames])
    rows, columns = corners[:, 0], corners[:, 1]
    assert rows.min() == 0 and rows.max() == 36 and columns.min() == 0
    for positions, step in ((rows, 3.6), (columns, 1.8)):
        moves = np.diff(positions)
        turns = np.flatnonzero(np.sign(moves[1:]) != np.sign(moves[:-1])) + 1
        assert len(turns) >= 1
        # Direction changes only at an edge; between edges, constant speed.
        for turn in turns:
            assert min(positions[turn], 36 - positions[turn]) <= step
        straight = np.delete(moves, np.concatenate([turns - 1, turns]))
        # Each corner is rounded by at most half a pixel.
        assert np.all(np.abs(np.abs(straight) - step) <= 1.0 + 1e-6)


def test_trajectories_reflect_at_the_edges():
    start = tf.constant([[0.9, 0.1]])
    velocity = tf.constant([[0.07, -0.03]])
    positions = trajectories(start, velocity, 50).numpy()[0]
    assert positions.min() >= 0.0 and positions.max() <= 1.0
    for axis, speed in enumerate((0.07, 0.03)):
        hits = 0
        for before, after in zip(positions[:-1, axis], positions[1:, axis]):
            if abs(abs(after - before) - speed) > 1e-5:
                # The step hit a wall and covered the rest of its length going back.
                hits += 1
                to_wall_and_back = min(before + after, 2.0 - before - after)
                np.testing.assert_allclose(to_wall_and_back, speed, atol=1e-5)
        assert hits >= 2


def first_batch(split, mnist_dir, **options):
    inputs, targets = next(iter(load("moving_mnist", split, data_dir=mnist_dir, **options)))
    return np.concatenate([inputs.numpy(), targets.numpy()], axis=1)


def test_generated_batches(mnist_dir):
    dataset = load("moving_mnist", "test", batch_size=8, num_sequences=20, data_dir=mnist_dir)
    inputs, targets = next(iter(dataset))
    assert inputs.shape == (8, 10, 64, 64, 1) and targets.shape == (8, 10, 64, 64, 1)
    assert inputs.dtype == tf.float32 and targets.dtype == tf.float32
    frames = np.concatenate([inputs, targets], axis=1)
    assert frames.min() == 0.0 and frames.max() == 1.0
    assert [len(batch[0]) for batch in dataset] == [8, 8, 4]


def test_options_shape_the_sequences(mnist_dir):
    frames = first_batch(
        "train", mnist_dir, batch_size=3, num_frames=7, input_frames=3,
        canvas_size=48, speed=0.2, num_digits=3, sequences_per_epoch=3,
    )
    assert frames.shape == (3, 7, 48, 48, 1)


def test_two_digits_hold_more_ink_than_one(mnist_dir):
    ink = {
        count: first_batch("test", mnist_dir, batch_size=64, num_digits=count)[:, 0].sum(axis=(1, 2, 3)).mean()
        for count in (1, 2)
    }
    assert 1.5 < ink[2] / ink[1] <= 2.0


def test_evaluation_set_is_fixed(mnist_dir):
    reference = first_batch("test", mnist_dir, batch_size=8)
    np.testing.assert_array_equal(first_batch("test", mnist_dir, batch_size=8), reference)
    np.testing.assert_array_equal(first_batch("test", mnist_dir, batch_size=8, seed=7), reference)
    smaller_batches = load("moving_mnist", "test", batch_size=4, data_dir=mnist_dir)
    first_eight = np.concatenate([np.concatenate(batch, axis=1) for batch in smaller_batches.take(2)])
    np.testing.assert_array_equal(first_eight, reference)


def test_training_stream_is_seeded_and_new_every_epoch(mnist_dir):
    options = dict(batch_size=4, sequences_per_epoch=8, data_dir=mnist_dir)
    dataset = load("moving_mnist", "train", seed=1, **options)
    epochs = [np.concatenate([np.concatenate(b, axis=1) for b in dataset]) for _ in range(2)]
    assert epochs[0].shape[0] == 8
    assert not np.array_equal(epochs[0], epochs[1])
    again = load("moving_mnist", "train", seed=1, **options)
    np.testing.assert_array_equal(np.concatenate(next(iter(again)), axis=1), epochs[0][:4])
    other_seed = load("moving_mnist", "train", seed=2, **options)
    assert not np.array_equal(np.concatenate(next(iter(other_seed)), axis=1), epochs[0][:4])
    test = first_batch("test", mnist_dir, batch_size=4)
    assert not np.array_equal(test, epochs[0][:4])


def test_repeat_draws_new_sequences(mnist_dir):
    dataset = load("moving_mnist", "train", batch_size=2, sequences_per_epoch=2, data_dir=mnist_dir)
    first, second = [inputs.numpy() for inputs, _ in dataset.repeat(2)]
    assert not np.array_equal(first, second)


def test_size_options_apply_to_their_splits(mnist_dir):
    options = dict(batch_size=4, sequences_per_epoch=8, num_sequences=12, data_dir=mnist_dir)
    assert sum(len(x) for x, _ in load("moving_mnist", "train", **options)) == 8
    assert sum(len(x) for x, _ in load("moving_mnist", "test", **options)) == 12


def test_invalid_options(mnist_dir):
    with pytest.raises(ValueError, match=r"`sequences_per_epoch` must be >= 1. Received: sequences_per_epoch=0"):
        load("moving_mnist", "train", sequences_per_epoch=0, data_dir=mnist_dir)
    with pytest.raises(ValueError, match=r"Received: input_frames=20, num_frames=20"):
        load("moving_mnist", "test", input_frames=20, data_dir=mnist_dir)
    with pytest.raises(ValueError, match=r"`canvas_size` must be >= 28. Received: canvas_size=20"):
        load("moving_mnist", "test", canvas_size=20, data_dir=mnist_dir)


def test_official_test_split_needs_prepared_tfds(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"'moving_mnist', which is not prepared.*split='test'"):
        load("moving_mnist", "official_test", tfds_data_dir=str(tmp_path))
    with pytest.raises(ValueError, match=r"num_frames <= 20 and canvas_size=64"):
        load("moving_mnist", "official_test", canvas_size=32, tfds_data_dir=str(tmp_path))


def test_official_test_split_from_tfds(tmp_path):
    with tfds.testing.mock_data(num_examples=5), mock.patch.object(
        tfds.core.DatasetBuilder, "is_prepared", return_value=True
    ):
        dataset = load(
            "moving_mnist", "official_test", batch_size=2, num_frames=12,
            input_frames=8, tfds_data_dir=str(tmp_path),
        )
        batches = list(dataset)
    assert [len(inputs) for inputs, _ in batches] == [2, 2, 1]
    inputs, targets = batches[0]
    assert inputs.shape == (2, 8, 64, 64, 1) and targets.shape == (2, 4, 64, 64, 1)
    assert inputs.dtype == tf.float32 and 0.0 <= inputs.numpy().min() <= inputs.numpy().max() <= 1.0
