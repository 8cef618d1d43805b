"""`train(strategy=...)` agrees with single-device training.

Same recipe, seed and global batch (32), 5 steps of Adam (learning rate
1e-3, so each weight moves by up to ~5e-3): a distributed run differs from
the single-device run only by the order of float32 sums in the gradient
all-reduce, measured at ~3e-8; the tolerance is 1e-6.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from aezoo import training

TOLERANCE = 1e-6
OVERRIDES = ["fit.steps_per_epoch=5", "fit.validation_steps=2"]
TIMEOUT_S = 240
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


@pytest.fixture(scope="module")
def single_device_weights(tmp_path_factory):
    out = tmp_path_factory.mktemp("single")
    result = training.train("mlp_autoencoder", out=out, epochs=1, overrides=OVERRIDES, verbose=0)
    return result.model.get_weights()


def _largest_difference(weights, checkpoint):
    other = keras.saving.load_model(checkpoint).get_weights()
    assert [w.shape for w in weights] == [w.shape for w in other]
    return max(float(np.abs(a - b).max()) for a, b in zip(weights, other))


@pytest.mark.slow
def test_mirrored_over_two_cpu_devices_agrees(tmp_path, single_device_weights):
    # Logical devices must be configured before TensorFlow starts: a fresh process.
    script = textwrap.dedent(f"""
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from aezoo import training
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        training.train("mlp_autoencoder", out={str(tmp_path)!r}, epochs=1,
                       overrides={OVERRIDES!r}, verbose=0, strategy=strategy)
        print("replicas", strategy.num_replicas_in_sync)
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], env=ENV, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "replicas 2" in result.stdout
    difference = _largest_difference(single_device_weights, tmp_path / "checkpoints" / "last.keras")
    assert difference < TOLERANCE


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_multi_worker_with_two_processes_agrees(tmp_path, single_device_weights):
    workers = [f"localhost:{port}" for port in _free_ports(2)]
    command = [
        sys.executable, "-m", "aezoo.cli", "train", "mlp_autoencoder", "--strategy", "multi_worker",
        "--out", str(tmp_path / "run"), "--epochs", "1",
    ] + [arg for override in OVERRIDES for arg in ("--set", override)]
    processes = []
    for index in range(2):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        processes.append(subprocess.Popen(
            command, env={**ENV, "TF_CONFIG": json.dumps(tf_config)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ))
    try:
        outputs = [process.communicate(timeout=TIMEOUT_S) for process in processes]
    finally:
        for process in processes:  # a hung collective fails the test instead of blocking it
            process.kill()
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr[-3000:]
    # The chief writes to --out, worker 1 beside it; both hold the same model.
    for run in (tmp_path / "run", tmp_path / "run.worker1"):
        difference = _largest_difference(single_device_weights, run / "checkpoints" / "last.keras")
        assert difference < TOLERANCE, run
    histories = [(tmp_path / run / "history.csv").read_text() for run in ("run", "run.worker1")]
    assert histories[0] == histories[1]  # the logged losses are reduced over both workers


def test_bad_strategies_are_refused_before_anything_is_written(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"Unknown strategy 'mirorred'. Valid: mirrored, multi_worker"):
        training.train("mlp_autoencoder", out=tmp_path / "a", strategy="mirorred")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="reads the cluster from TF_CONFIG, which is not set"):
        training.train("mlp_autoencoder", out=tmp_path / "b", strategy="multi_worker")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


# A small conditional predictor: its context loss is an `add_loss` term,
# which Keras does not scale by the number of replicas by itself.
PREDICTOR_OVERRIDES = OVERRIDES + [
    "data.batch_size=4", "data.options.sequences_per_epoch=20",
    "model_overrides.image_size=32", "model_overrides.frames_in=3", "model_overrides.frames_out=2",
    "model_overrides.frames_past=2", "model_overrides.channels=[4]", "model_overrides.past_channels=[4]",
    "model_overrides.filter_size=3", "diagnostics.checks=[]",
    # The recipe trains in mixed_bfloat16; the replicas' sum is compared
    # with one device's to 1e-5, which float32 can hold.
    'fit.dtype_policy="float32"',
]


@pytest.mark.slow
def test_mirrored_predictor_with_its_context_loss_agrees(tmp_path):
    single = training.train(
        "convlstm_bidir_predictor", out=tmp_path / "single", epochs=1, overrides=PREDICTOR_OVERRIDES,
        verbose=0,
    ).model.get_weights()
    script = textwrap.dedent(f"""
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from aezoo import training
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        training.train("convlstm_bidir_predictor", out={str(tmp_path / "mirrored")!r}, epochs=1,
                       overrides={PREDICTOR_OVERRIDES!r}, verbose=0, strategy=strategy)
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], env=ENV, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert result.returncode == 0, result.stderr[-3000:]
    difference = _largest_difference(single, tmp_path / "mirrored" / "checkpoints" / "last.keras")
    assert difference < 1e-5
