"""Shared machinery of aezoo's convolutional LSTM levels.

`SpatialLSTM2D` is the rank-2 base of `StridedConvLSTM2D` and
`TransposedConvLSTM2D`: a conv-LSTM whose input-to-state map is a strided
convolution (downsampling) or a strided transposed convolution (upsampling)
and whose state-to-state map is a stride-1 convolution. Subclasses only say
how the input is projected and what spatial size that gives; the cell
(`conv_lstm_cells`) says what one time step does to the state.

Why not `keras.layers.RNN` with a cell: it only accepts cells with a flat
integer output size. Why not Keras' `ConvLSTM2D`: it uses one kernel size for
both maps (the documented models use 2x2 or 3x3 stride-2 inputs with a 3x3
state map), has no transposed variant, and runs eight convolutions per step.

Two things make this layer cheaper than the textbook loop:
- the input-to-state projection does not depend on the state, so it runs
  once over all frames (one convolution on a `(batch * time, ...)` tensor);
- all four gates come from one convolution (`4 * filters` output channels),
  in the input map and in the state map.
"""

import keras
from keras import ops

from aezoo.layers.conv_lstm_cells import CELL_CLASSES

CELLS = tuple(CELL_CLASSES)


def scan_supports_jit():
    """Whether a layer whose time loop is `keras.ops.scan` may be jitted.

    Keras' `jit_compile="auto"` compiles the whole training step only when
    every layer `supports_jit`. On TensorFlow, XLA cannot compile the
    gradient of a scan (its while loop has no `maximum_iterations`); on JAX,
    `jax.jit` compiles the gradient of `lax.scan`, and without it the step
    runs op by op (docs/BENCHMARKS.md, backends).
    """
    return keras.backend.backend() == "jax"


class SpatialLSTM2D(keras.layers.Layer):
    """Base class: a conv-LSTM level over `(batch, time, rows, cols, channels)`.

    Subclasses implement `_input_kernel_shape(input_channels)`,
    `_project_inputs(frames)` on `(n, rows, cols, channels)` frames, and
    `_state_length(length, kernel, stride)`, the state's size along one
    spatial axis.

    Args:
        filters: int, channels of the hidden and cell states.
        kernel_size: int or tuple of 2 ints, input-to-state kernel.
            Defaults to 3.
        strides: int or tuple of 2 ints, input-to-state strides.
        padding: `"same"` or `"valid"`, input-to-state padding.
        recurrent_kernel_size: int or tuple of 2 ints, state-to-state kernel
            (always stride 1, `"same"` padding). Defaults to 3.
        activation: activation of the cell candidate and the output.
            Defaults to `"tanh"`.
        recurrent_activation: activation of the gates. Defaults to
            `"sigmoid"`.
        use_bias: whether the gates have a bias. Defaults to `True`.
        unit_forget_bias: if `True`, the forget-gate bias starts at 1.
        kernel_initializer, recurrent_initializer, bias_initializer:
            initializers of the input kernel, the state kernel and the bias.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            optional regularizers of the same weights.
        return_sequences: return the hidden state of every step (`True`) or
            of the last step only. Defaults to `True`.
        return_state: also return the final `[h, c]`. Defaults to `False`.
        cell: `"lstm"` (`ConvLSTMCell`, the standard conv-LSTM cell,
            default) or `"posted"` (`PostedConvLSTMCell`): the cell of seed
            000, kept to reproduce its failure. Its three gates are single
            channels shared by all features, its candidate is a ReLU of
            `[conv(h), conv(x)]` (so the states have `2 * filters`
            channels), the cell state feeds the gates through a 3x3
            convolution, and the output `c * sigmoid(o)` is not squashed:
            nothing bounds the state.
        layer_norm: if `True` (`cell="lstm"` only), the input-to-state and
            the state-to-state maps of the gates are each normalized per
            example over rows, columns and channels, then scaled per
            channel (learned, starting at 1), as in layer-normalized
            conv-LSTMs (Ba et al. 2016; PredRNN). The gates then do not
            depend on the scale of the inputs or the state. Defaults to
            `False`.
        unroll: if `True`, the time loop is a Python loop (needs a static
            number of frames; larger graphs, sometimes faster for short
            sequences); if `False`, `keras.ops.scan`.
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: a 5D tensor `(batch, time, rows, cols, channels)`.
        initial_state: optional list `[h, c]`, each
            `(batch, state_rows, state_cols, filters)`. Zeros if omitted.
        training: unused; accepted for API symmetry.
    """

    def __init__(
        self,
        filters,
        kernel_size=3,
        strides=2,
        padding="same",
        recurrent_kernel_size=3,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        unit_forget_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        return_sequences=True,
        return_state=False,
        unroll=False,
        cell="lstm",
        layer_norm=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(filters, int) or isinstance(filters, bool) or filters < 1:
            raise ValueError(
                f"`filters` must be a positive integer. Received: filters={filters!r}"
            )
        self.filters = filters
        self.kernel_size = _pair("kernel_size", kernel_size)
        self.strides = _pair("strides", strides)
        self.recurrent_kernel_size = _pair(
            "recurrent_kernel_size", recurrent_kernel_size
        )
        padding = str(padding).lower()
        if padding not in ("same", "valid"):
            raise ValueError(
                f"`padding` must be 'same' or 'valid'. Received: padding={padding!r}"
            )
        self.padding = padding
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(recurrent_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.unroll = bool(unroll)
        # XLA cannot compile the gradient of `ops.scan` on TensorFlow (its
        # while loop has no maximum_iterations). Keras' default
        # jit_compile="auto" turns XLA on wherever a GPU is visible, so a
        # scan layer must opt out there, as Keras' own LSTM does for cuDNN.
        self.supports_jit = self.unroll or scan_supports_jit()
        if cell not in CELLS:
            raise ValueError(f"`cell` must be one of {CELLS}. Received: cell={cell!r}")
        self.cell = cell
        if not isinstance(layer_norm, bool):
            raise ValueError(
                f"`layer_norm` must be True or False. Received: layer_norm={layer_norm!r}"
            )
        self.layer_norm = layer_norm
        # The cell object that `cell` names: channel counts, state-side
        # weights and the step.
        self.recurrent_cell = CELL_CLASSES[cell](
            filters, self.activation, self.recurrent_activation, layer_norm
        )
        self.input_spec = keras.layers.InputSpec(ndim=5)

    @property
    def state_channels(self):
        """Channels of `h` and `c`: `filters`, or `2 * filters` for the posted cell."""
        return self.recurrent_cell.state_channels

    @property
    def projection_channels(self):
        """Channels of the input map: 4 gates, or the posted cell's
        `filters` candidate channels + 3 gates."""
        return self.recurrent_cell.projection_channels

    @property
    def bias(self):
        """The cell's bias (`None` without `use_bias`); after `build`."""
        return self.recurrent_cell.bias

    # -- subclass hooks -------------------------------------------------------

    def _input_kernel_shape(self, input_channels):
        raise NotImplementedError

    def _project_inputs(self, frames):
        raise NotImplementedError

    def _state_length(self, length, kernel, stride):
        raise NotImplementedError

    def _state_spatial_shape(self, rows, cols):
        return tuple(
            self._state_length(n, k, s)
            for n, k, s in zip((rows, cols), self.kernel_size, self.strides)
        )

    # -- Keras API --------------------------------------------------------------

    def build(self, input_shape):
        input_channels = input_shape[-1]
        if input_channels is None:
            raise ValueError(
                f"The channel dimension of the inputs of {self.name} must be "
                f"known. Received: input_shape={input_shape}"
            )
        rows, cols = input_shape[2], input_shape[3]
        if rows is None or cols is None:
            raise ValueError(
                f"{type(self).__name__} needs static spatial dimensions. "
                f"Received: input_shape={input_shape}"
            )
        state_rows, state_cols = self._state_spatial_shape(rows, cols)
        if state_rows < 1 or state_cols < 1:
            raise ValueError(
                f"{type(self).__name__} with kernel_size={self.kernel_size}, "
                f"strides={self.strides}, padding={self.padding!r} maps "
                f"{rows}x{cols} frames to an empty state. "
                f"Received: input_shape={input_shape}"
            )
        self.state_shape = (state_rows, state_cols, self.state_channels)
        self.kernel = self.add_weight(
            name="kernel",
            shape=self._input_kernel_shape(input_channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        self.recurrent_cell.build(self)

    def call(self, inputs, initial_state=None, training=None):
        batch = ops.shape(inputs)[0]
        time = ops.shape(inputs)[1]
        rows, cols, channels = inputs.shape[2], inputs.shape[3], inputs.shape[4]
        frames = ops.reshape(inputs, (-1, rows, cols, channels))
        projected = self.recurrent_cell.prepare_inputs(self._project_inputs(frames))
        state_rows, state_cols, _ = self.state_shape
        projected = ops.reshape(
            projected, (batch, time, state_rows, state_cols, self.projection_channels)
        )
        if initial_state is None:
            zeros = ops.zeros(
                (batch, state_rows, state_cols, self.state_channels), dtype=projected.dtype
            )
            h, c = zeros, zeros
        else:
            if len(initial_state) != 2:
                raise ValueError(
                    f"`initial_state` of {self.name} must be a list [h, c]. "
                    f"Received {len(initial_state)} tensors."
                )
            for state in initial_state:
                if tuple(state.shape[1:]) != self.state_shape:
                    expected = (None,) + self.state_shape
                    raise ValueError(
                        f"{self.name} expects each initial state of shape "
                        f"{expected} (batch first), like its own state. "
                        f"Received: {tuple(state.shape)}"
                    )
            h, c = (ops.cast(s, projected.dtype) for s in initial_state)

        if self.unroll:
            steps = inputs.shape[1]
            if steps is None:
                raise ValueError(
                    f"`unroll=True` needs a static number of frames. Received: "
                    f"inputs.shape={inputs.shape}"
                )
            outputs = []
            for t in range(steps):
                h, c = self.recurrent_cell.step(projected[:, t], h, c)
                outputs.append(h)
            sequence = ops.stack(outputs, axis=1) if self.return_sequences else None
        else:
            # keras.ops.scan (TF backend) wants per-step outputs shaped like
            # the carry: the carry is the pair (h, c), and so is each output.
            def step(carry, projected_t):
                carry = self.recurrent_cell.step(projected_t, *carry)
                return carry, carry

            (h, c), (hs, _) = ops.scan(step, (h, c), ops.moveaxis(projected, 1, 0))
            sequence = ops.moveaxis(hs, 0, 1) if self.return_sequences else None
        output = sequence if self.return_sequences else h
        if self.return_state:
            return [output, h, c]
        return output

    def compute_output_shape(self, inputs_shape, initial_state_shape=None):
        batch, time, rows, cols = inputs_shape[:4]
        state_rows, state_cols = self._state_spatial_shape(rows, cols)
        state = (batch, state_rows, state_cols, self.state_channels)
        output = (batch, time) + state[1:] if self.return_sequences else state
        if self.return_state:
            return [output, state, state]
        return output

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "recurrent_kernel_size": self.recurrent_kernel_size,
                "activation": keras.activations.serialize(self.activation),
                "recurrent_activation": keras.activations.serialize(
                    self.recurrent_activation
                ),
                "use_bias": self.use_bias,
                "unit_forget_bias": self.unit_forget_bias,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "recurrent_initializer": keras.initializers.serialize(
                    self.recurrent_initializer
                ),
                "bias_initializer": keras.initializers.serialize(
                    self.bias_initializer
                ),
                "kernel_regularizer": keras.regularizers.serialize(
                    self.kernel_regularizer
                ),
                "recurrent_regularizer": keras.regularizers.serialize(
                    self.recurrent_regularizer
                ),
                "bias_regularizer": keras.regularizers.serialize(
                    self.bias_regularizer
                ),
                "return_sequences": self.return_sequences,
                "return_state": self.return_state,
                "unroll": self.unroll,
                "cell": self.cell,
                "layer_norm": self.layer_norm,
            }
        )
        return config


def _pair(name, value):
    """Validates an int-or-pair argument and returns a tuple of 2 ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    value = tuple(value) if isinstance(value, (list, tuple)) else value
    if (
        not isinstance(value, tuple)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)
    ):
        raise ValueError(
            f"`{name}` must be a positive int or a tuple of 2 positive ints. "
            f"Received: {name}={value!r}"
        )
    return value

