"""`TransposedConvLSTM2D`: the conv-LSTM decoder level (upsamples as it goes)."""

import keras
from keras import ops

from aezoo.layers.spatial_lstm import SpatialLSTM2D


@keras.saving.register_keras_serializable(package="aezoo")
class TransposedConvLSTM2D(SpatialLSTM2D):
    """Conv-LSTM level with a strided transposed input-to-state convolution.

    Each frame is mapped into the state space by a `kernel_size` transposed
    convolution with `strides` (2 doubles the resolution); the state is
    updated by a stride-1 `recurrent_kernel_size` convolution. This is the
    decoder level that mirrors `StridedConvLSTM2D`; Keras has no such layer.
    All four gates share one (transposed) convolution per map.

    Args:
        filters: int, channels of the hidden and cell states.
        kernel_size: int or tuple of 2 ints, transposed input-to-state
            kernel. Defaults to 3.
        strides: int or tuple of 2 ints, upsampling factors. Defaults to 2.
        padding: `"same"` (output `size * stride`) or `"valid"` (output
            `(size - 1) * stride + max(kernel, stride)`). Defaults to
            `"same"`.
        recurrent_kernel_size: state-to-state kernel (stride 1, `"same"`).
            Defaults to 3.
        **kwargs: see `SpatialLSTM2D` (activations, initializers,
            regularizers, `return_sequences`, `return_state`, `unroll`,
            `cell`, `layer_norm`) and the base `Layer` arguments.

    Call arguments:
        inputs: `(batch, time, rows, cols, channels)` tensor.
        initial_state: optional `[h, c]`, each
            `(batch, state_rows, state_cols, filters)`, e.g. the final states
            of the encoder level at the same resolution.

    Input shape:
        5D tensor `(batch, time, rows, cols, channels)`.

    Output shape:
        `(batch, time, state_rows, state_cols, filters)` if
        `return_sequences`, else `(batch, state_rows, state_cols, filters)`;
        with `return_state`, a list `[output, h, c]`.

    Example:

    >>> layer = TransposedConvLSTM2D(4, kernel_size=3, strides=2)
    >>> layer(np.zeros((2, 5, 8, 8, 16), "float32")).shape
    (2, 5, 16, 16, 4)
    """

    def _input_kernel_shape(self, input_channels):
        # conv_transpose kernels are (rows, cols, out_channels, in_channels).
        return self.kernel_size + (self.projection_channels, input_channels)

    def _project_inputs(self, frames):
        return ops.conv_transpose(
            frames, self.kernel, strides=self.strides, padding=self.padding
        )

    def _state_length(self, length, kernel, stride):
        if self.padding == "same":
            return length * stride
        return (length - 1) * stride + max(kernel, stride)
