"""The cells of the conv-LSTM levels: what one time step does to the state.

`SpatialLSTM2D` picks one cell class once, by the name in its `cell`
argument (`CELL_CLASSES`), and leaves to it the channel counts of the state
and of the input map, the state-side weights, and the step. Both cells have
the same interface:

- `state_channels`, `projection_channels` (channels of the input map, which
  the level computes) and `state_map_channels` (output channels of the
  convolutions over the state, per step);
- `build(level)` adds the cell's weights to the level;
- `prepare_inputs(projected)` finishes the input map of all frames at once;
- `step(projected_t, h, c)` returns the next `(h, c)`.

Cells are plain objects, not Keras layers: the level creates every weight
through its own `add_weight`, so saved levels keep the weight names and
order they have always had.
"""

from keras import ops


class ConvLSTMCell:
    """The standard conv-LSTM cell: four gates `i, f, g, o` of `filters` channels.

    `c = sigmoid(f) * c + sigmoid(i) * tanh(g)`, `h = sigmoid(o) * tanh(c)`,
    with the activations of the level; each gate is the sum of the input map
    and a convolution of `h`.

    Args:
        filters: int, channels of `h` and `c`.
        activation: callable, activation of the candidate `g` and the output.
        recurrent_activation: callable, activation of the gates.
        layer_norm: bool, whether the input map and the state map are each
            normalized per example over rows, columns and channels, then
            scaled per channel (learned, starting at 1).

    Example:

    >>> cell = ConvLSTMCell(8, keras.activations.tanh, keras.activations.sigmoid, False)
    >>> cell.state_channels, cell.projection_channels
    (8, 32)
    """

    name = "lstm"

    def __init__(self, filters, activation, recurrent_activation, layer_norm):
        self.filters = filters
        self.activation = activation
        self.recurrent_activation = recurrent_activation
        self.layer_norm = layer_norm

    @property
    def state_channels(self):
        return self.filters

    @property
    def projection_channels(self):
        return 4 * self.filters

    @property
    def state_map_channels(self):
        return 4 * self.filters

    def build(self, level):
        """Adds the state kernel, the bias and the normalization scales to `level`."""
        self.recurrent_kernel = _add_recurrent_kernel(level, self)
        if level.use_bias:
            self.bias = level.add_weight(
                name="bias",
                shape=(4 * self.filters,),
                initializer=self._bias_initializer(level),
                regularizer=level.bias_regularizer,
            )
        else:
            self.bias = None
        if self.layer_norm:
            self.input_norm_scale = level.add_weight(
                name="input_norm_scale", shape=(self.projection_channels,), initializer="ones"
            )
            self.recurrent_norm_scale = level.add_weight(
                name="recurrent_norm_scale", shape=(self.projection_channels,), initializer="ones"
            )

    def _bias_initializer(self, level):
        if not level.unit_forget_bias:
            return level.bias_initializer
        base = level.bias_initializer
        filters = self.filters

        def bias_initializer(shape, dtype=None):
            return ops.concatenate(
                [
                    base((filters,), dtype=dtype),
                    ops.ones((filters,), dtype=dtype),
                    base((2 * filters,), dtype=dtype),
                ]
            )

        return bias_initializer

    def prepare_inputs(self, projected):
        """Normalizes the input map (with `layer_norm`) and adds the bias."""
        if self.layer_norm:
            projected = normalized(projected, self.input_norm_scale)
        if self.bias is not None:
            projected = projected + self.bias
        return projected

    def step(self, projected_t, h, c):
        recurrent = ops.conv(h, self.recurrent_kernel, strides=1, padding="same")
        if self.layer_norm:
            recurrent = normalized(recurrent, self.recurrent_norm_scale)
        z = projected_t + recurrent
        i, f, g, o = ops.split(z, 4, axis=-1)
        c = self.recurrent_activation(f) * c + self.recurrent_activation(
            i
        ) * self.activation(g)
        h = self.recurrent_activation(o) * self.activation(c)
        return h, c


class PostedConvLSTMCell:
    """The cell of seed 000, as posted, kept to reproduce its failure.

    Its three gates are single channels shared by all features; its
    candidate is a ReLU of `[conv(h), conv(x)]`, so the states have
    `2 * filters` channels; the cell state feeds the gates through a 3x3
    convolution (`cell_kernel`); and the output `c * sigmoid(o)` is not
    squashed: nothing bounds the state. The input map holds the `filters`
    candidate channels, then the 3 gates.

    Args:
        filters: int, half the channels of `h` and `c`.
        activation: unused (the candidate is a ReLU and the output is not
            squashed); accepted for the common cell interface.
        recurrent_activation: callable, activation of the gates.
        layer_norm: must be `False`: this cell has no normalization.

    Raises:
        ValueError: if `layer_norm` is `True`.

    Example:

    >>> cell = PostedConvLSTMCell(8, None, keras.activations.sigmoid, False)
    >>> cell.state_channels, cell.projection_channels
    (16, 11)
    """

    name = "posted"

    def __init__(self, filters, activation, recurrent_activation, layer_norm):
        if layer_norm:
            raise ValueError(
                "`layer_norm=True` normalizes the gates of the standard cell: "
                f"use cell='lstm'. Received: cell={self.name!r}"
            )
        self.filters = filters
        self.recurrent_activation = recurrent_activation

    @property
    def state_channels(self):
        return 2 * self.filters

    @property
    def projection_channels(self):
        return self.filters + 3

    @property
    def state_map_channels(self):
        # conv(h) -> candidate and gates, plus conv(c) -> the 3 gates.
        return self.projection_channels + 3

    def build(self, level):
        """Adds the state kernel, the cell-to-gates kernel and the bias to `level`."""
        self.recurrent_kernel = _add_recurrent_kernel(level, self)
        self.cell_kernel = level.add_weight(
            name="cell_kernel",
            shape=level.recurrent_kernel_size + (self.state_channels, 3),
            initializer=level.recurrent_initializer,
            regularizer=level.recurrent_regularizer,
        )
        if level.use_bias:
            # The post's h_bias (on [conv(h), conv(x)]) then its gate_bias.
            self.bias = level.add_weight(
                name="bias",
                shape=(self.state_channels + 3,),
                initializer=level.bias_initializer,
                regularizer=level.bias_regularizer,
            )
        else:
            self.bias = None

    def prepare_inputs(self, projected):
        """Returns the input map as it is: the post adds its biases per step."""
        return projected

    def step(self, projected_t, h, c):
        filters = self.filters
        h_map = ops.conv(h, self.recurrent_kernel, strides=1, padding="same")
        gates = (
            projected_t[..., filters:]
            + h_map[..., filters:]
            + ops.conv(c, self.cell_kernel, strides=1, padding="same")
        )
        candidate = ops.concatenate([h_map[..., :filters], projected_t[..., :filters]], axis=-1)
        if self.bias is not None:
            candidate = candidate + self.bias[: 2 * filters]
            gates = gates + self.bias[2 * filters :]
        i, f, o = ops.split(self.recurrent_activation(gates), 3, axis=-1)
        c = ops.relu(candidate) * i + c * f
        h = c * o
        return h, c


CELL_CLASSES = {cell_class.name: cell_class for cell_class in (ConvLSTMCell, PostedConvLSTMCell)}


def _add_recurrent_kernel(level, cell):
    """The state-to-state kernel, `h` -> the input map's channels."""
    return level.add_weight(
        name="recurrent_kernel",
        shape=level.recurrent_kernel_size + (cell.state_channels, cell.projection_channels),
        initializer=level.recurrent_initializer,
        regularizer=level.recurrent_regularizer,
    )


def normalized(maps, scale):
    """`maps` normalized per example over rows, columns and channels, times `scale`."""
    mean, variance = ops.moments(maps, axes=[-3, -2, -1], keepdims=True)
    return (maps - mean) * ops.rsqrt(variance + 1e-5) * scale
