import numpy as np
import pytest

from aezoo.data import load


def as_arrays(dataset):
    """One epoch, each component concatenated over the batches."""
    return [np.concatenate(component) for component in zip(*dataset.as_numpy_iterator())]


def test_bit_pairs_classes_and_mask():
    dataset = load("bit_pairs", "test", batch_size=16, sequence_length=12)
    inputs, classes, weights = next(iter(dataset))
    assert inputs.shape == (16, 12, 1) and inputs.dtype == "float32"
    assert classes.shape == (16, 12) and classes.dtype == "int32"
    assert weights.shape == (16, 12) and weights.dtype == "float32"
    bits = inputs.numpy()[..., 0].astype(int)
    assert set(np.unique(bits)) == {0, 1}
    np.testing.assert_array_equal(classes[:, 1:], 2 * bits[:, :-1] + bits[:, 1:])
    np.testing.assert_array_equal(classes[:, 0], bits[:, 0])
    np.testing.assert_array_equal(weights[:, 0], 0.0)
    np.testing.assert_array_equal(weights[:, 1:], 1.0)
    assert set(np.unique(classes[:, 1:])) == {0, 1, 2, 3}


def test_bit_pairs_stream_continues_row_by_row():
    dataset = load("bit_pairs", "train", batch_size=4, sequence_length=5, num_sequences=13, stream=True)
    batches = [[array.numpy() for array in batch] for batch in dataset]
    assert len(batches) == 3
    bits = np.concatenate([inputs[..., 0] for inputs, _, _ in batches], axis=1).astype(int)
    classes = np.concatenate([c for _, c, _ in batches], axis=1)
    weights = np.concatenate([w for _, _, w in batches], axis=1)
    assert bits.shape == (4, 15)
    np.testing.assert_array_equal(classes[:, 1:], 2 * bits[:, :-1] + bits[:, 1:])
    np.testing.assert_array_equal(weights[:, 0], 0.0)
    np.testing.assert_array_equal(weights[:, 1:], 1.0)
    assert not np.array_equal(bits[0], bits[1]), "rows are independent streams"


def test_bit_pairs_stream_refuses_shuffle_and_shard():
    with pytest.raises(ValueError, match=r"cannot be shuffled or sharded. Received: shuffle=True"):
        load("bit_pairs", "train", stream=True, shuffle=True)
    with pytest.raises(ValueError, match=r"Received: shuffle=None, shard=\(2, 0\)"):
        load("bit_pairs", "train", stream=True, shard=(2, 0))
    with pytest.raises(ValueError, match=r"num_sequences >= batch_size.*num_sequences=3, batch_size=4"):
        load("bit_pairs", "train", stream=True, batch_size=4, num_sequences=3)


@pytest.mark.parametrize("name", ["bit_pairs", "signal"])
def test_generated_data_is_seeded_per_split(name):
    def first(split, seed, shuffle=False):
        return next(iter(load(name, split, batch_size=64, seed=seed, shuffle=shuffle)))[0].numpy()

    np.testing.assert_array_equal(first("train", 1), first("train", 1))
    assert not np.array_equal(first("train", 1), first("train", 2))
    np.testing.assert_array_equal(first("test", 1), first("test", 2))
    assert not np.array_equal(first("test", 0), first("train", 0))
    assert not np.array_equal(first("test", 0), first("validation", 0))
    assert not np.array_equal(first("train", 0), first("train", 0, shuffle=True))


def test_signal_range_and_target():
    x, target = as_arrays(load("signal", "train", batch_size=500, dim=3, num_examples=2000))
    assert x.shape == (2000, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(target, x)
    assert -1.0 <= x.min() < -0.99 and 0.99 < x.max() < 1.0
    assert abs(x.mean()) < 0.05


def test_default_sizes():
    assert sum(len(x) for x, _ in load("signal", "train", batch_size=1000)) == 10000
    assert sum(len(x) for x, _, _ in load("bit_pairs", "test", batch_size=1000)) == 1000
