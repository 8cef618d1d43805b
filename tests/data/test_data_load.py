import pytest

from aezoo.data import load


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(name="cifar"), r"Invalid value for `name`. Received: name='cifar'. Valid choices: 'mnist', 'moving_mnist', 'bit_pairs', 'signal'."),
        (dict(name="signal", split="dev"), r"Received: split='dev'. Valid choices: 'train', 'validation', 'test'."),
        (dict(name="signal", frames=3), r"Unknown option for dataset 'signal'. Received: frames=3. Valid options: dim, num_examples."),
        (dict(name="signal", batch_size=0), r"`batch_size` must be >= 1. Received: batch_size=0"),
        (dict(name="signal", batch_size=2.5), r"`batch_size` must be an integer >= 1. Received: batch_size=2.5"),
        (dict(name="signal", seed=-1), r"`seed` must be >= 0. Received: seed=-1"),
        (dict(name="signal", shuffle="yes"), r"Received: shuffle='yes'"),
        (dict(name="signal", deterministic="no"), r"Received: deterministic='no'"),
        (dict(name="signal", shard=(2, 2)), r"0 <= index < num_shards. Received: shard=\(2, 2\)"),
        (dict(name="bit_pairs", stream="yes"), r"Received: stream='yes'"),
        (dict(name="moving_mnist", speed=-0.1), r"Received: speed=-0.1"),
    ],
)
def test_invalid_arguments_name_the_value_and_the_choices(arguments, message):
    with pytest.raises(ValueError, match=message):
        load(**arguments)


def test_shard_keeps_every_nth_example():
    full = next(iter(load("signal", "test", batch_size=6)))[0].numpy()
    second_shard = next(iter(load("signal", "test", batch_size=3, shard=(2, 1))))[0].numpy()
    assert (second_shard == full[1::2]).all()


@pytest.mark.parametrize("deterministic", [True, False])
def test_deterministic_option(deterministic):
    dataset = load("signal", "test", deterministic=deterministic)
    assert dataset.options().deterministic is deterministic


@pytest.mark.parametrize("name", ["signal", "mnist", "moving_mnist"])
def test_no_autotuning_thread_to_wait_for_when_an_iterator_is_deleted(name, mnist_dir):
    # Deleting an iterator waits for tf.data's autotuning thread to wake:
    # 21-22 s beside another busy process (benchmarks/interrupted_run_gc.py).
    dataset = load(name, "test", batch_size=2)
    assert dataset.options().autotune.enabled is False
    assert next(iter(dataset))[0].shape[0] == 2
