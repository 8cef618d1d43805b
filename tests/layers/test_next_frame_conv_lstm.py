"""NextFrameConvLSTM (the conditional predictor's stack) and ViewPointFrames."""

import keras
import numpy as np
import pytest
from keras.src import testing

from aezoo.layers import NextFrameConvLSTM
from aezoo.layers import ViewPointFrames

SHAPE = (2, 4, 8, 8, 1)


def _frames(shape=SHAPE, seed=0):
    return np.random.default_rng(seed).random(shape).astype("float32")


def _layer(**kwargs):
    keras.utils.set_random_seed(0)
    args = dict(filters=(3, 4), patch_size=2, filter_size=3, predict_steps=3)
    args.update(kwargs)
    layer = NextFrameConvLSTM(**args)
    layer.build(SHAPE)
    return layer


class NextFrameConvLSTMTest(testing.TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            NextFrameConvLSTM,
            init_kwargs={"filters": (3,), "patch_size": 2, "filter_size": 3, "predict_steps": 2},
            input_shape=(2, 3, 8, 8, 1),
            expected_output_shape=(2, 4, 8, 8, 1),
            expected_num_trainable_weights=4,
            expected_num_non_trainable_weights=0,
            supports_masking=False,
        )

    def test_layer_harness_pixel_head_with_states(self):
        self.run_layer_test(
            NextFrameConvLSTM,
            init_kwargs={"filters": (2, 3), "patch_size": 4, "head": "pixel", "return_state": True},
            input_shape=(2, 3, 8, 8, 2),
            expected_output_shape=[(2, 3, 8, 8, 2)] + [(2, 2, 2, 2)] * 2 + [(2, 2, 2, 3)] * 2,
            run_training_check=False,
            supports_masking=False,
        )


@pytest.mark.parametrize(
    "head,motion_input,sharing,layer_norm",
    # layer_norm normalizes over rows, columns and channels: still causal in time.
    [("dynamic_filter", False, "pixel", False), ("pixel", False, "pixel", False),
     ("dynamic_filter", True, "pixel", False), ("dynamic_filter", True, "patch", False),
     ("dynamic_filter", True, "patch", True)],
)
def test_a_prediction_never_sees_the_frame_it_predicts_or_later(head, motion_input, sharing, layer_norm):
    # keras-io #1003: the prediction of frame k may use frames 0..k-1 only.
    layer = _layer(head=head, motion_input=motion_input, filter_sharing=sharing, layer_norm=layer_norm)
    x = _frames()
    base = np.asarray(layer(x))
    for k in range(1, SHAPE[1]):
        changed = x.copy()
        changed[:, k:] = 1.0 - changed[:, k:]
        out = np.asarray(layer(changed))
        # predictions[:, j] is frame j + 1: frames 1..k are unchanged ...
        np.testing.assert_array_equal(out[:, :k], base[:, :k])
        # ... and the next one uses frame k.
        assert np.abs(out[:, k] - base[:, k]).max() > 1e-6


@pytest.mark.parametrize("motion_input", [False, True])
def test_free_running_steps_are_fed_their_own_prediction(motion_input):
    layer = _layer(predict_steps=3, motion_input=motion_input)
    x = _frames()
    free = np.asarray(layer(x))
    # Feeding the first free prediction as a given frame must continue the
    # same way (with motion_input, its motion is measured from the last
    # given frame, as in the free-running step).
    extended = np.concatenate([x, free[:, SHAPE[1] - 1 : SHAPE[1]]], axis=1)
    follower = NextFrameConvLSTM(
        (3, 4), patch_size=2, filter_size=3, predict_steps=2, motion_input=motion_input
    )
    follower.build(extended.shape)
    follower.set_weights(layer.get_weights())
    np.testing.assert_allclose(np.asarray(follower(extended))[:, SHAPE[1]:], free[:, SHAPE[1]:], atol=1e-5)


def test_motion_input_feeds_the_difference_to_the_previous_frame():
    # With motion_input the first gate convolution reads [frame, frame -
    # previous] per patch position. Keep only the difference channels, and
    # use the pixel head (the frame reaches the output through the gates
    # only): the first step then sees no motion whatever the frame, and a
    # changed frame reaches the prediction through its difference.
    layer = _layer(head="pixel", motion_input=True)
    assert layer.gate_kernels[0].shape[2] == 2 * 2 * 2 + 3  # 2x2 patches of 2 channels, h
    weights = layer.get_weights()
    weights[0] = weights[0].copy()
    weights[0][:, :, [0, 2, 4, 6]] = 0.0  # each patch position's frame channel
    layer.set_weights(weights)
    still = np.repeat(_frames((2, 1, 8, 8, 1)), SHAPE[1], axis=1)
    first = np.asarray(layer(still))[:, 0]
    np.testing.assert_allclose(first, np.asarray(layer(np.zeros_like(still)))[:, 0], atol=1e-7)
    moving = still.copy()
    moving[:, 2] = 1.0 - moving[:, 2]
    a, b = np.asarray(layer(still)), np.asarray(layer(moving))
    np.testing.assert_array_equal(a[:, :2], b[:, :2])
    assert np.abs(a[:, 2] - b[:, 2]).max() > 1e-6


def test_scan_and_unroll_agree():
    x = _frames()
    scan, unrolled = _layer(), _layer(unroll=True)
    unrolled.set_weights(scan.get_weights())
    a, b = np.asarray(scan(x)), np.asarray(unrolled(x))
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_dynamic_filter_moves_the_frame():
    # A filter that puts all its weight on one neighbour shifts the frame by
    # that offset, whatever the state: the head transforms the current frame.
    layer = _layer(predict_steps=1, filter_size=3)
    weights = layer.get_weights()
    head_kernel, head_bias = weights[-2], weights[-1]
    bias = np.zeros_like(head_bias).reshape(-1, 9)
    bias[:, 2 * 3 + 1] = 50.0  # offset (+1 row, 0 columns): look one row down
    weights[-2] = np.zeros_like(head_kernel)
    weights[-1] = bias.reshape(-1)
    layer.set_weights(weights)
    x = _frames()
    predicted = np.asarray(layer(x))
    shifted = np.zeros_like(x[:, :-1])
    shifted[:, :, :-1] = x[:, :-1, 1:]
    np.testing.assert_allclose(predicted[:, : SHAPE[1] - 1], shifted, atol=1e-5)


def _dynamic_filter_reference(frame, weights, n):
    """Per-pixel softmax filters applied at full resolution, by loops:
    `weights (batch, rows, cols, n*n)` logits, `frame (batch, rows, cols, ch)`."""
    _, rows, cols, _ = frame.shape
    r = n // 2
    padded = np.pad(frame, ((0, 0), (r, r), (r, r), (0, 0)))
    w = np.exp(weights - weights.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    out = np.zeros_like(frame)
    for i in range(n):
        for j in range(n):
            out += w[..., i * n + j : i * n + j + 1] * padded[:, i : i + rows, j : j + cols]
    return out


@pytest.mark.parametrize(
    "patch_size, filter_size, channels",
    # A neighbourhood within the next patch, across two patches (radius 5 >
    # patch 4), patch 1 (no folding), and two channels.
    [(2, 3, 1), (4, 9, 1), (4, 11, 1), (1, 3, 1), (2, 5, 2)],
)
def test_dynamic_filter_matches_per_pixel_filters_at_full_resolution(
    patch_size, filter_size, channels
):
    # The head works on folded frames; each pixel must still get its own
    # filter over its own neighbourhood, zeros beyond the frame's edges.
    rows = cols = 8
    layer = NextFrameConvLSTM((2,), patch_size=patch_size, filter_size=filter_size)
    layer.build((None, 2, rows, cols, channels))
    rng = np.random.default_rng(1)
    frame = rng.random((2, rows, cols, channels)).astype("float32")
    n2 = filter_size**2
    logits = (3 * rng.normal(size=(2, rows, cols, n2))).astype("float32")
    # The head's layout: per position, the p*p pixels of its patch (row
    # major), each with its n*n logits.
    p = patch_size
    head = logits.reshape(2, rows // p, p, cols // p, p, n2).transpose(0, 1, 3, 2, 4, 5)
    head = head.reshape(2, rows // p, cols // p, p * p * n2)
    predicted = np.asarray(layer._predict(frame, head))
    expected = _dynamic_filter_reference(frame, logits, filter_size)
    np.testing.assert_allclose(predicted, expected, atol=1e-5)


@pytest.mark.parametrize("patch_size, filter_size, channels", [(2, 3, 1), (4, 9, 1), (2, 5, 2)])
def test_a_shared_filter_matches_per_pixel_filters_at_full_resolution(
    patch_size, filter_size, channels
):
    # One filter per patch takes the matrix-product path of `_predict`; it
    # must equal every pixel of the patch having that filter.
    rows = cols = 8
    layer = NextFrameConvLSTM(
        (2,), patch_size=patch_size, filter_size=filter_size, filter_sharing="patch"
    )
    layer.build((None, 2, rows, cols, channels))
    rng = np.random.default_rng(2)
    frame = rng.random((2, rows, cols, channels)).astype("float32")
    p, n2 = patch_size, filter_size**2
    shared = (3 * rng.normal(size=(2, rows // p, cols // p, 1, n2))).astype("float32")
    per_pixel = np.repeat(np.repeat(shared[:, :, :, 0], p, axis=1), p, axis=2)
    predicted = np.asarray(layer._predict(frame, shared))
    expected = _dynamic_filter_reference(frame, per_pixel, filter_size)
    np.testing.assert_allclose(predicted, expected, atol=1e-5)


def test_dynamic_filter_stays_in_the_frames_range():
    layer = _layer()
    # A convex combination of the frame's pixels (zeros beyond its edges).
    x = 0.2 + 0.5 * _frames()
    out = np.asarray(layer(x))
    assert out.min() >= 0.0 and out.max() <= x.max() + 1e-6
    interior = out[:, : SHAPE[1] - 1, 1:-1, 1:-1]  # one-step predictions, 1 pixel from the edge
    assert interior.min() >= 0.2 - 1e-6


def _with_null_tap_bias(layer, null_logit):
    """`layer` (null tap on) with the head kernel zeroed, every neighbourhood
    logit 0 and every null tap's logit `null_logit`."""
    weights = layer.get_weights()
    bias = np.zeros_like(weights[-1]).reshape(-1, layer.filter_size**2 + 1)
    bias[:, -1] = null_logit
    weights[-2] = np.zeros_like(weights[-2])
    weights[-1] = bias.reshape(-1)
    layer.set_weights(weights)


def test_null_tap_dims_and_otherwise_leaves_the_filter_alone():
    x = _frames()
    # All weight on the null tap: every prediction is dark.
    layer = _layer(null_tap=True)
    _with_null_tap_bias(layer, 50.0)
    np.testing.assert_allclose(np.asarray(layer(x)), 0.0, atol=1e-6)
    # Half of it: exactly half the plain filter's prediction (uniform
    # weights over the 3x3 neighbourhood), for the given frames.
    _with_null_tap_bias(layer, np.log(9.0))
    plain = _layer(null_tap=False)
    weights = plain.get_weights()
    weights[-2], weights[-1] = np.zeros_like(weights[-2]), np.zeros_like(weights[-1])
    plain.set_weights(weights)
    given = SHAPE[1] - 1
    np.testing.assert_allclose(
        np.asarray(layer(x))[:, :given], 0.5 * np.asarray(plain(x))[:, :given], atol=1e-6
    )
    # No weight on it: the plain filter.
    _with_null_tap_bias(layer, -50.0)
    np.testing.assert_allclose(np.asarray(layer(x)), np.asarray(plain(x)), atol=1e-6)


def test_null_tap_adds_one_logit_per_pixel_and_round_trips():
    plain, dimming = _layer(), _layer(null_tap=True)
    # patch 2: 4 pixels per position, each with 3x3 taps (+ 1).
    assert plain.head_kernel.shape[-1] == 4 * 9 and dimming.head_kernel.shape[-1] == 4 * 10
    again = NextFrameConvLSTM.from_config(dimming.get_config())
    assert again.null_tap is True


def _shift_right_by_one(layer):
    """`layer` (a shared filter) with its state kernels zeroed and every
    shared logit on the tap one pixel to the left: each pixel of the next
    frame copies its left neighbour."""
    n = layer.filter_size
    logits = np.full(n * n, -50.0, "float32")
    logits[(n // 2) * n + n // 2 - 1] = 50.0
    layer.shared_head_kernel.assign(np.zeros(layer.shared_head_kernel.shape, "float32"))
    layer.shared_head_bias.assign(logits)


@pytest.mark.parametrize("sharing", ["patch", "patch_and_pixel"])
def test_a_shared_filter_moves_every_pixel_of_a_patch_the_same_way(sharing):
    layer = _layer(filter_sharing=sharing)
    _shift_right_by_one(layer)
    x = _frames()
    out = np.asarray(layer(x))
    given = SHAPE[1] - 1
    # The one-step predictions: the frame shifted right by one pixel, a
    # zero column at the left edge (outside the frame), for every pixel of
    # every patch: the per-pixel logits of "patch_and_pixel" start at 0.
    expected = np.zeros_like(x[:, :given])
    expected[:, :, :, 1:] = x[:, :given, :, :-1]
    np.testing.assert_allclose(out[:, :given], expected, atol=1e-6)


def test_filter_sharing_sizes_the_heads_and_round_trips():
    shared, both = _layer(filter_sharing="patch"), _layer(filter_sharing="patch_and_pixel")
    # patch 2, 3x3 taps: one shared filter per position; none, or 4 per-pixel ones beside it.
    assert shared.shared_head_kernel.shape[-1] == 9 and not hasattr(shared, "head_kernel")
    assert both.shared_head_kernel.shape[-1] == 9 and both.head_kernel.shape[-1] == 4 * 9
    assert not np.any(np.asarray(both.head_kernel))  # the corrections start at zero
    assert len(shared.trainable_weights) == len(_layer().trainable_weights)
    again = NextFrameConvLSTM.from_config(both.get_config())
    assert again.filter_sharing == "patch_and_pixel"


def test_layer_norm_makes_the_gates_independent_of_the_kernels_scale():
    # Each level's gate map is normalized before the bias: scaling a gate
    # kernel by 5 changes nothing with layer_norm, and everything without.
    x = _frames()
    for layer_norm in (True, False):
        layer = _layer(layer_norm=layer_norm, filter_sharing="patch")
        base = np.asarray(layer(x))
        for kernel in layer.gate_kernels:
            kernel.assign(5.0 * np.asarray(kernel))
        scaled = np.asarray(layer(x))
        if layer_norm:
            np.testing.assert_allclose(scaled, base, atol=5e-4)  # the epsilon of the variance
        else:
            assert np.abs(scaled - base).max() > 1e-2
    normalized = _layer(layer_norm=True)
    assert [w.shape for w in normalized.gate_norm_scales] == [(12,), (16,)]
    assert len(normalized.trainable_weights) == len(_layer().trainable_weights) + 2
    again = NextFrameConvLSTM.from_config(normalized.get_config())
    assert again.layer_norm is True


def test_context_loss_is_the_one_step_error_in_training_only():
    layer = _layer(context_loss_weight=2.0)
    x = _frames()
    predictions = np.asarray(layer(x, training=True))
    assert len(layer.losses) == 1
    expected = 2.0 * np.mean((predictions[:, : SHAPE[1] - 1] - x[:, 1:]) ** 2)
    np.testing.assert_allclose(float(layer.losses[0]), expected, rtol=1e-5)
    layer(x, training=False)
    assert not layer.losses


def test_initial_state_is_used():
    layer = _layer(return_state=True)
    x = _frames()
    _, *states = layer(x)
    again = np.asarray(layer(x, initial_state=states)[0])
    assert np.abs(again - np.asarray(layer(x)[0])).max() > 1e-6


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(filters=()), r"Received: filters=\(\)"),
        (dict(filters=(3, 0)), r"Received: filters=\(3, 0\)"),
        (dict(filter_size=4), "must be odd"),
        (dict(head="conv"), r"Received: head='conv'"),
        (dict(predict_steps=0), "Received: predict_steps=0"),
        (dict(context_loss_weight=float("nan")), "finite"),
        (dict(motion_input="yes"), "Received: motion_input='yes'"),
        (dict(null_tap=1), "Received: null_tap=1"),
        (dict(layer_norm="no"), "Received: layer_norm='no'"),
        (dict(null_tap=True, head="pixel"), "needs head='dynamic_filter'"),
        (dict(filter_sharing="row"), "Received: filter_sharing='row'"),
        (dict(filter_sharing="patch", head="pixel"), "needs head='dynamic_filter'"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = dict(filters=(3,))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        NextFrameConvLSTM(**args)


def test_bad_shapes():
    with pytest.raises(ValueError, match="divisible by patch_size=3"):
        NextFrameConvLSTM((3,), patch_size=3)(_frames())
    layer = _layer()
    with pytest.raises(ValueError, match="list \\[h_1, c_1, ...\\] of 4 tensors"):
        layer(_frames(), initial_state=[np.zeros((2, 4, 4, 3), "float32")])


class ViewPointFramesTest(testing.TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            ViewPointFrames,
            init_kwargs={"count": 2},
            input_shape=(2, 4, 3, 3, 1),
            expected_output_shape=(2, 2, 3, 3, 1),
            expected_num_trainable_weights=0,
            supports_masking=False,
            run_training_check=False,
        )

    def test_newest_first(self):
        x = np.arange(5, dtype="float32").reshape(1, 5, 1, 1, 1)
        np.testing.assert_array_equal(np.ravel(ViewPointFrames(3)(x)), [4, 3, 2])

    def test_errors(self):
        with pytest.raises(ValueError, match="Received: count=0"):
            ViewPointFrames(0)
        with pytest.raises(ValueError, match="last 6 frames, but the clip has 5"):
            ViewPointFrames(6)(np.zeros((1, 5, 1, 1, 1), "float32"))


def test_an_export_does_not_store_the_neighbourhood_kernel(tmp_path):
    # At patch 4 and a 9x9 filter the one-hot kernel is 0.75 MB of float32;
    # held as a constant it was stored in each traced loop body of a
    # SavedModel (2.5 MB for the predictor, against 0.3 MB of graph).
    inputs = keras.Input((3, 16, 16, 1))
    outputs = NextFrameConvLSTM((4,), patch_size=4, filter_size=9, predict_steps=2)(inputs)
    keras.Model(inputs, outputs).export(tmp_path / "sm", format="tf_saved_model", verbose=False)
    assert (tmp_path / "sm" / "saved_model.pb").stat().st_size < 400_000
