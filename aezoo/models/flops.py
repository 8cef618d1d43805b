"""Analytic FLOP count of a built model's forward pass, per example.

Counts 2 FLOPs per multiply-add of convolutions, transposed convolutions,
dense layers and recurrent layers (input and state maps, every time step);
element-wise work (activations, gates, noise) is left out, as in the usual
papers' figures. A dimension that is unknown (`None`) counts as 1.
"""

import math

import keras

from aezoo.layers import NextFrameConvLSTM
from aezoo.layers import SpatialLSTM2D
from aezoo.layers import TransposedConvLSTM2D


def count_flops(model):
    """Forward FLOPs per example of a functional `keras.Model`."""
    return sum(_layer_flops(layer) for layer in _leaf_layers(model))


def _leaf_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _leaf_layers(layer)
        else:
            yield layer


def _shape(tensor):
    if isinstance(tensor, (list, tuple)):
        tensor = tensor[0]
    return tuple(1 if d is None else d for d in tensor.shape)


def _layer_flops(layer):
    if isinstance(layer, keras.layers.InputLayer):
        return 0
    in_shape = _shape(layer.input)
    out_shape = _shape(layer.output)
    if isinstance(layer, NextFrameConvLSTM):
        return _next_frame_flops(layer, in_shape)
    if isinstance(layer, SpatialLSTM2D):
        time = in_shape[1]
        state_rows, state_cols, state_channels = layer.state_shape
        kernel = math.prod(layer.kernel_size)
        input_map = 2 * kernel * in_shape[-1] * layer.projection_channels
        # A strided convolution's work is per output position, a transposed
        # one's per input position.
        if isinstance(layer, TransposedConvLSTM2D):
            positions = in_shape[2] * in_shape[3]
        else:
            positions = state_rows * state_cols
        # State map: h -> the cell's state-map outputs (for the posted cell
        # also c -> 3 gates: `PostedConvLSTMCell.state_map_channels`).
        state_map = (
            2 * math.prod(layer.recurrent_kernel_size) * state_channels
            * layer.recurrent_cell.state_map_channels
        )
        return time * (positions * input_map + state_rows * state_cols * state_map)
    if isinstance(layer, keras.layers.ConvLSTM2D):
        # Keras' own conv-LSTM: input map at the output positions (strided),
        # state map at stride 1, one kernel size for both.
        time, filters = in_shape[1], layer.filters
        rows, cols = (out_shape[2], out_shape[3]) if layer.return_sequences else out_shape[1:3]
        kernel = math.prod(layer.kernel_size)
        per_step = 2 * rows * cols * kernel * 4 * filters * (in_shape[-1] + filters)
        return time * per_step
    if isinstance(layer, keras.layers.TimeDistributed):
        inner = layer.layer
        frames = in_shape[1]
        inner_in = (1,) + in_shape[2:]
        inner_out = (1,) + out_shape[2:]
        return frames * _inner_flops(inner, inner_in, inner_out)
    return _inner_flops(layer, in_shape, out_shape)


def _next_frame_flops(layer, in_shape):
    """One step per given frame and per free prediction after the first:
    each level's gate convolution of [input, h], the head's 1x1
    convolution (per pixel, per patch where the filter is shared, or
    both), and (dynamic filter) the per-pixel weighted sum over the
    neighbourhood."""
    steps = in_shape[1] + layer.predict_steps - 1
    rows, cols, channels = in_shape[2:]
    positions = (rows // layer.patch_size) * (cols // layer.patch_size)
    kernel = layer.kernel_size**2
    below = layer.patch_size**2 * channels * (2 if layer.motion_input else 1)
    per_step = 0
    for filters in layer.filters:
        per_step += 2 * positions * kernel * (below + filters) * 4 * filters
        below = filters
    neighbourhood = layer.filter_size**2
    per_pixel = neighbourhood if layer.head == "dynamic_filter" else channels
    sharing = layer.filter_sharing
    if sharing != "patch":  # the per-pixel logits (or pixels)
        per_step += 2 * positions * below * layer.patch_size**2 * per_pixel
    if sharing != "pixel":  # one shared filter's logits per patch
        per_step += 2 * positions * below * neighbourhood
    if layer.head == "dynamic_filter":
        per_step += 2 * rows * cols * channels * neighbourhood
    return steps * per_step


def _inner_flops(layer, in_shape, out_shape):
    if isinstance(layer, keras.layers.Conv2DTranspose):
        kernel = math.prod(layer.kernel_size)
        return 2 * math.prod(in_shape[1:-1]) * kernel * in_shape[-1] * layer.filters
    if isinstance(layer, keras.layers.Conv2D):
        kernel = math.prod(layer.kernel_size)
        return 2 * math.prod(out_shape[1:-1]) * kernel * in_shape[-1] * layer.filters
    if isinstance(layer, keras.layers.Dense):
        return 2 * math.prod(in_shape[1:]) * layer.units
    if isinstance(layer, keras.layers.LSTM):
        time = in_shape[1]
        return time * 2 * (in_shape[-1] + layer.units) * 4 * layer.units
    return 0
