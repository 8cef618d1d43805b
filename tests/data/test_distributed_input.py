import os
import subprocess
import sys
import textwrap

import pytest

# Logical devices must be configured before TensorFlow initializes, so the
# check runs in a fresh process and leaves this one untouched.
SCRIPT = textwrap.dedent(
    """
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    from aezoo.data import distributed, load

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    dataset = distributed(strategy, "signal", "test", global_batch_size=8)
    x, target = next(iter(dataset))
    shards = strategy.experimental_local_results(x)
    assert [tuple(shard.shape) for shard in shards] == [(4, 1), (4, 1)], shards
    first_eight = next(iter(load("signal", "test", batch_size=8)))[0].numpy()
    np.testing.assert_array_equal(np.concatenate(shards), first_eight)

    @tf.function
    def step(batch):
        return strategy.run(lambda x, y: tf.reduce_sum(x - y), args=batch)

    total = sum(
        strategy.reduce("SUM", step(batch), axis=None) for batch in dataset
    )
    assert float(total) == 0.0

    # A model name goes through for_model; Keras fits on the distributed data.
    import aezoo

    model_data = distributed(strategy, "mlp_autoencoder", "train", global_batch_size=8)
    with strategy.scope():
        model = aezoo.build("mlp_autoencoder")
    history = model.fit(model_data, steps_per_epoch=3, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])

    # shard_by="batches": global step k holds single-device batch k.
    from aezoo.data import for_model

    by_batches = distributed(strategy, "mlp_autoencoder", "train", global_batch_size=8,
                             shard_by="batches", seed=3)
    single = iter(for_model("mlp_autoencoder", "train", batch_size=8, seed=3))
    for step_batch, (expected, _) in zip(by_batches, [next(single), next(single)]):
        got = np.concatenate(strategy.experimental_local_results(step_batch[0]))
        np.testing.assert_array_equal(got, expected.numpy())
    try:
        distributed(strategy, "signal", "train", global_batch_size=8, shard_by="rows")
    except ValueError as error:
        assert "Unknown shard_by 'rows'" in str(error), error
    else:
        raise AssertionError("shard_by='rows' was accepted")

    try:
        distributed(strategy, "bit_pairs", "train", global_batch_size=8, stream=True)
    except ValueError as error:
        assert "stream=True needs one replica" in str(error), error
    else:
        raise AssertionError("stream=True over 2 replicas was accepted")
    try:
        distributed(strategy, "signal", "train", global_batch_size=7)
    except ValueError as error:
        assert "is not divisible by" in str(error), error
    else:
        raise AssertionError("a global batch of 7 over 2 replicas was accepted")
    print("OK")
    """
)


@pytest.mark.slow
def test_mirrored_strategy_over_two_cpu_devices():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 0 and result.stdout.strip().endswith("OK"), result.stderr[-3000:]
