"""XLA and the conv-LSTM levels: Keras' jit_compile="auto" on a GPU machine.

Keras turns XLA on by default wherever a GPU is visible, and TensorFlow's XLA
cannot compile the gradient of `ops.scan`. The scan levels therefore opt out
(`supports_jit`), so that `aezoo.build` models train on a GPU as built.
"""

import numpy as np
import pytest
import keras

import aezoo
from aezoo.layers import NextFrameConvLSTM
from aezoo.layers import StridedConvLSTM2D
from aezoo.layers import TransposedConvLSTM2D
from tests.backend_marks import jax_only
from tests.backend_marks import tensorflow_only

tf = pytest.importorskip("tensorflow")


@pytest.fixture
def gpu_visible(monkeypatch):
    """Makes Keras believe a GPU is present (what `jit_compile="auto"` reads)."""
    devices = [
        tf.config.PhysicalDevice("/physical_device:CPU:0", "CPU"),
        tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU"),
    ]

    def list_physical_devices(device_type=None):
        return [d for d in devices if device_type in (None, d.device_type)]

    monkeypatch.setattr(tf.config, "list_physical_devices", list_physical_devices)


def _level_model(layer_class, unroll):
    inputs = keras.Input((3, 8, 8, 1))
    outputs = layer_class(2, 3, unroll=unroll)(inputs)
    return keras.Model(inputs, outputs)


def _batch(model):
    x = np.random.default_rng(0).random((2, 3, 8, 8, 1), "float32")
    return x, np.zeros((2,) + tuple(model.output.shape[1:]), "float32")


@tensorflow_only
@pytest.mark.parametrize("layer_class", [StridedConvLSTM2D, TransposedConvLSTM2D])
@pytest.mark.parametrize("unroll", [False, True])
def test_auto_jit_compile_is_xla_only_where_it_can_train(gpu_visible, layer_class, unroll):
    model = _level_model(layer_class, unroll)
    model.compile("adam", "mse")  # jit_compile="auto"
    assert model.jit_compile is unroll


@tensorflow_only
def test_every_predictor_preset_trains_without_xla_on_a_gpu(gpu_visible):
    for preset in aezoo.list_presets("convlstm_bidir_predictor"):
        model = aezoo.build("convlstm_bidir_predictor", preset)
        assert model.jit_compile is False, preset


@tensorflow_only
def test_forced_xla_falls_back_with_a_warning_instead_of_failing():
    model = _level_model(StridedConvLSTM2D, unroll=False)
    with pytest.warns(UserWarning, match="doesn't support `jit_compile=True`"):
        model.compile("adam", "mse", jit_compile=True)
    assert model.jit_compile is False
    assert np.isfinite(model.train_on_batch(*_batch(model)))


@tensorflow_only
def test_scan_gradient_is_what_xla_refuses():
    # Why the scan levels opt out: without the opt-out, XLA fails on the
    # scan; the same level unrolled compiles and trains.
    scan = _level_model(StridedConvLSTM2D, unroll=False)
    for layer in scan.layers:
        layer.supports_jit = True
    scan.compile("adam", "mse", jit_compile=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="XLA compilation"):
        scan.train_on_batch(*_batch(scan))
    unrolled = _level_model(StridedConvLSTM2D, unroll=True)
    unrolled.compile("adam", "mse", jit_compile=True)
    assert unrolled.jit_compile is True
    assert np.isfinite(unrolled.train_on_batch(*_batch(unrolled)))


@jax_only
@pytest.mark.parametrize("layer", [
    lambda: StridedConvLSTM2D(2, 3),
    lambda: TransposedConvLSTM2D(2, 3),
])
def test_on_jax_a_scan_level_is_jitted_and_trains(layer):
    # JAX jits the gradient of lax.scan: the whole training step compiles.
    inputs = keras.Input((3, 8, 8, 1))
    model = keras.Model(inputs, layer()(inputs))
    model.compile("adam", "mse")  # jit_compile="auto"
    assert model.jit_compile is True
    assert np.isfinite(model.train_on_batch(*_batch(model)))


@jax_only
def test_on_jax_the_next_frame_stack_is_jitted():
    inputs = keras.Input((3, 16, 16, 1))
    outputs = NextFrameConvLSTM(filters=(4,), patch_size=4, predict_steps=2)(inputs)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "mse")
    assert model.jit_compile is True
