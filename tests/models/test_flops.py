"""The analytic FLOP count against hand-computed figures."""

import keras
import pytest

from aezoo.layers import StridedConvLSTM2D
from aezoo.layers import TransposedConvLSTM2D
from aezoo.models.flops import count_flops


def test_dense_and_conv_layers():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same")(inputs)  # 4x4 out
    x = keras.layers.Conv2DTranspose(2, 3, strides=2, padding="same")(x)  # from 4x4
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(5)(x)
    model = keras.Model(inputs, outputs)
    expected = 2 * 16 * 9 * 3 * 4 + 2 * 16 * 9 * 4 * 2 + 2 * (8 * 8 * 2) * 5
    assert count_flops(model) == expected


def test_conv_lstm_levels_count_every_step():
    inputs = keras.Input((5, 8, 8, 1))
    x = StridedConvLSTM2D(4, kernel_size=3)(inputs)  # state 4x4x4
    outputs = TransposedConvLSTM2D(2, kernel_size=2)(x)  # state 8x8x2, input 4x4
    model = keras.Model(inputs, outputs)
    encoder = 5 * (16 * 2 * 9 * 1 * 16 + 16 * 2 * 9 * 4 * 16)
    decoder = 5 * (16 * 2 * 4 * 4 * 8 + 64 * 2 * 9 * 2 * 8)
    assert count_flops(model) == encoder + decoder


def test_keras_conv_lstm_and_lstm():
    inputs = keras.Input((3, 8, 8, 2))
    outputs = keras.layers.ConvLSTM2D(4, 3, strides=2, padding="same")(inputs)
    model = keras.Model(inputs, outputs)
    assert count_flops(model) == 3 * 2 * 16 * 9 * 16 * (2 + 4)
    inputs = keras.Input((7, 3))
    model = keras.Model(inputs, keras.layers.LSTM(5)(inputs))
    assert count_flops(model) == 7 * 2 * (3 + 5) * 20


def test_next_frame_stack_counts_given_and_free_steps():
    from aezoo.layers import NextFrameConvLSTM

    inputs = keras.Input((3, 8, 8, 1))
    stack = NextFrameConvLSTM((4, 2), patch_size=2, filter_size=3, predict_steps=4)
    model = keras.Model(inputs, stack(inputs))
    steps = 3 + 4 - 1
    levels = 2 * 16 * 9 * (4 + 4) * 16 + 2 * 16 * 9 * (4 + 2) * 8  # 4x4 states
    head = 2 * 16 * 2 * 4 * 9 + 2 * 64 * 9  # 1x1 conv to 2x2 patches of 9 weights, weighted sum
    assert count_flops(model) == steps * (levels + head)


@pytest.mark.parametrize("sharing,logits_per_position", [("patch", 9), ("patch_and_pixel", 4 * 9 + 9)])
def test_a_shared_dynamic_filter_counts_its_own_logits(sharing, logits_per_position):
    from aezoo.layers import NextFrameConvLSTM

    inputs = keras.Input((3, 8, 8, 1))
    stack = NextFrameConvLSTM((4, 2), patch_size=2, filter_size=3, predict_steps=4,
                              filter_sharing=sharing)
    model = keras.Model(inputs, stack(inputs))
    levels = 2 * 16 * 9 * (4 + 4) * 16 + 2 * 16 * 9 * (4 + 2) * 8
    head = 2 * 16 * 2 * logits_per_position + 2 * 64 * 9
    assert count_flops(model) == 6 * (levels + head)
