"""`TransposeBatchTime`: swaps the batch and time axes (the seed-002 mistake)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="aezoo")
class TransposeBatchTime(keras.layers.Layer):
    """Swaps axes 0 and 1 of a sequence tensor.

    Keras recurrent layers read `(batch, time, features)`. Placing this layer
    in front of one feeds it the time-major layout `(time, batch, features)`
    instead, so the recurrence runs across the sequences of a batch rather
    than along each sequence: exactly the layout mistake of seed 002, where
    consecutive bits of one sequence ended up in different batch rows. A
    second `TransposeBatchTime` after the recurrent layer restores the
    output's layout. It exists to reproduce that failure (`as_posted`).

    Args:
        **kwargs: base `Layer` arguments.

    Call arguments:
        inputs: a tensor of rank >= 2.

    Input shape:
        `(d0, d1, ...)`.

    Output shape:
        `(d1, d0, ...)`.

    Example:

    >>> TransposeBatchTime()(np.zeros((4, 2, 1), "float32")).shape
    (2, 4, 1)
    """

    def call(self, inputs):
        return ops.swapaxes(inputs, 0, 1)

    def compute_output_shape(self, input_shape):
        return (input_shape[1], input_shape[0]) + tuple(input_shape[2:])
