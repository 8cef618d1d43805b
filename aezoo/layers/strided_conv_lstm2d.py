"""`StridedConvLSTM2D`: the conv-LSTM encoder level (downsamples as it goes)."""

import keras
from keras import ops

from aezoo.layers.spatial_lstm import SpatialLSTM2D


@keras.saving.register_keras_serializable(package="aezoo")
class StridedConvLSTM2D(SpatialLSTM2D):
    """Conv-LSTM level with a strided input-to-state convolution.

    Each frame is mapped into the state space by a `kernel_size` convolution
    with `strides` (2 halves the resolution), while the state is updated by a
    stride-1 `recurrent_kernel_size` convolution. This is the encoder level of
    the seed-000 model (2x2 stride-2 input map, 3x3 state map). Keras'
    `ConvLSTM2D(strides=2)` cannot express it: it uses one kernel size for
    both maps. All four gates share one convolution per map.

    Args:
        filters: int, channels of the hidden and cell states.
        kernel_size: int or tuple of 2 ints, input-to-state kernel.
            Defaults to 3.
        strides: int or tuple of 2 ints, input-to-state strides. Defaults to 2.
        padding: `"same"` (output `ceil(size / stride)`) or `"valid"`.
            Defaults to `"same"`.
        recurrent_kernel_size: state-to-state kernel (stride 1, `"same"`).
            Defaults to 3.
        **kwargs: see `SpatialLSTM2D` (activations, initializers,
            regularizers, `return_sequences`, `return_state`, `unroll`,
            `cell`, `layer_norm`) and the base `Layer` arguments.

    Call arguments:
        inputs: `(batch, time, rows, cols, channels)` tensor.
        initial_state: optional `[h, c]`, each
            `(batch, state_rows, state_cols, filters)`.

    Input shape:
        5D tensor `(batch, time, rows, cols, channels)`.

    Output shape:
        `(batch, time, state_rows, state_cols, filters)` if
        `return_sequences`, else `(batch, state_rows, state_cols, filters)`;
        with `return_state`, a list `[output, h, c]`.

    Example:

    >>> layer = StridedConvLSTM2D(8, kernel_size=3, strides=2)
    >>> layer(np.zeros((2, 5, 16, 16, 1), "float32")).shape
    (2, 5, 8, 8, 8)
    """

    def _input_kernel_shape(self, input_channels):
        return self.kernel_size + (input_channels, self.projection_channels)

    def _project_inputs(self, frames):
        return ops.conv(frames, self.kernel, strides=self.strides, padding=self.padding)

    def _state_length(self, length, kernel, stride):
        if self.padding == "same":
            return -(-length // stride)
        return (length - kernel) // stride + 1
