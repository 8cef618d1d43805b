"""`NextFrameConvLSTM`: a conditional next-frame conv-LSTM predictor.

One conv-LSTM stack runs over the frames; after each frame it predicts the
next one. Over the given (context) frames it is fed the true frame; after the
last one it is fed its own previous prediction, for `predict_steps` frames.
This is the conditional design of every model that learns Moving MNIST well
(Shi et al. 2015's ConvLSTM as OpenSTL trains it, PredRNN), as opposed to an
unconditioned decoder that must invent every future frame from a state.

Two choices make it learn fast on a small budget:
- frames are folded into `patch_size x patch_size` patches (space-to-depth,
  as OpenSTL does), so the recurrent levels run at `size / patch_size`;
- the `"dynamic_filter"` head (De Brabandere et al. 2016) predicts the next
  frame as a transformation of the current one: for every pixel a softmax
  over a `filter_size x filter_size` neighbourhood of the current frame.
  Moving a digit is then a matter of where to look, not of redrawing it, and
  the prediction stays in the range of the frame. The `"pixel"` head (a
  sigmoid of the top state) is kept for comparison.
"""

import numpy as np

import keras
from keras import ops

from aezoo.layers.conv_lstm_cells import normalized
from aezoo.layers.spatial_lstm import scan_supports_jit

HEADS = ("dynamic_filter", "pixel")
# The dtype of the cells' gate arithmetic and cell states (see `_step`).
_CELL_DTYPE = "float32"
FILTER_SHARING = ("pixel", "patch", "patch_and_pixel")


@keras.saving.register_keras_serializable(package="aezoo")
class NextFrameConvLSTM(keras.layers.Layer):
    """Conditional next-frame conv-LSTM stack, fed its own predictions.

    Every step folds the input frame into patches (`patch_size`), runs it up
    the conv-LSTM levels (`filters`, one `kernel_size` convolution of
    `[input, h]` for all four gates of a level) and predicts the next frame
    from the top level's hidden state (`head`). Step `t` sees frame `t` and
    the state, never a later frame: over the `T` given frames the inputs are
    the true frames, then the model's own previous prediction.

    Under a mixed dtype policy (`mixed_bfloat16`) the convolutions and the
    head run in the compute dtype, and each level's gate arithmetic and
    cell state `c` in float32 (faster on the CPU, and `c` accumulates over
    every step); the outputs, returned states included, are in the compute
    dtype.

    Args:
        filters: tuple of ints, channels of each conv-LSTM level.
        patch_size: int, side of the space-to-depth patches. The frames'
            rows and columns must be divisible by it. Defaults to 4.
        kernel_size: int, the gate convolutions' kernel. Defaults to 3.
        head: `"dynamic_filter"` (the next frame is a per-pixel softmax
            filter applied to the current frame) or `"pixel"` (a sigmoid of
            the top state). Defaults to `"dynamic_filter"`.
        filter_size: odd int, side of the dynamic filters (a pixel can move
            `filter_size // 2` pixels per frame). Defaults to 9.
        predict_steps: int >= 1, frames predicted after the given ones, each
            fed back as the next input. Defaults to 1.
        null_tap: bool, `"dynamic_filter"` head only. Give each pixel's
            softmax one more tap, which reads zero, so that its weights on
            the neighbourhood can sum to less than 1: the head can dim a
            pixel (take away haze) instead of only moving intensity
            around. Defaults to `False`.
        filter_sharing: `"dynamic_filter"` head only. `"pixel"`: every pixel
            has its own filter, `p*p` filters per patch from one 1x1
            convolution of the top state. `"patch"`: the `p*p` pixels of a
            patch share one filter (digits move rigidly, so the motion is
            locally the same; the head learns one mapping from the state
            to a filter instead of `p*p`). `"patch_and_pixel"`: each pixel's
            logits are its patch's shared logits plus its own, which start
            at zero (the per-pixel part learns corrections).
            Defaults to `"pixel"`.
        motion_input: bool. Feed each step `[frame, frame - previous
            input frame]` instead of the frame alone, so the first gate
            convolution sees the motion directly (the first step's previous
            frame is itself: no motion). Defaults to `False`.
        context_loss_weight: float >= 0. In training, adds this weight
            times the mean squared error of the one-step predictions of the
            given frames 1..T-1 (teacher forced) to the model's losses.
            Defaults to 0.
        unroll: Python loop over time (`True`) or `keras.ops.scan`.
            Defaults to `False`.
        return_state: also return the states after the last given frame,
            `[h_1, c_1, h_2, c_2, ...]`. Defaults to `False`.
        **kwargs: base `Layer` arguments.

    Call arguments:
        frames: `(batch, T, rows, cols, channels)` in [0, 1], `T >= 1`.
        initial_state: optional list `[h_1, c_1, ...]`, each
            `(batch, rows / patch_size, cols / patch_size, filters[l])`.
            Zeros if omitted.
        training: whether the context loss is added.

    Returns:
        `(batch, T - 1 + predict_steps, rows, cols, channels)`: the
        prediction of frames 1 .. T - 1 + predict_steps (the last
        `predict_steps` are free running); with `return_state`, a list
        `[predictions, h_1, c_1, ...]`.

    Example:

    >>> layer = NextFrameConvLSTM((8, 8), patch_size=4, predict_steps=3)
    >>> layer(np.zeros((2, 5, 16, 16, 1), "float32")).shape
    (2, 7, 16, 16, 1)
    """

    def __init__(
        self,
        filters,
        patch_size=4,
        kernel_size=3,
        head="dynamic_filter",
        filter_size=9,
        predict_steps=1,
        context_loss_weight=0.0,
        unroll=False,
        return_state=False,
        motion_input=False,
        null_tap=False,
        filter_sharing="pixel",
        layer_norm=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(filters, int):
            filters = (filters,)
        filters = tuple(filters) if isinstance(filters, (list, tuple)) else filters
        if not isinstance(filters, tuple) or not filters or not all(
            _is_int(f) and f >= 1 for f in filters
        ):
            raise ValueError(
                "`filters` must be a non-empty tuple of positive ints. "
                f"Received: filters={filters!r}"
            )
        self.filters = filters
        self.patch_size = _positive_int("patch_size", patch_size)
        self.kernel_size = _positive_int("kernel_size", kernel_size)
        if head not in HEADS:
            raise ValueError(f"`head` must be one of {HEADS}. Received: head={head!r}")
        self.head = head
        self.filter_size = _positive_int("filter_size", filter_size)
        if self.filter_size % 2 != 1:
            raise ValueError(
                "`filter_size` must be odd (centred on the pixel). "
                f"Received: filter_size={filter_size!r}"
            )
        self.predict_steps = _positive_int("predict_steps", predict_steps)
        context_loss_weight = float(context_loss_weight)
        if not np.isfinite(context_loss_weight) or context_loss_weight < 0:
            raise ValueError(
                "`context_loss_weight` must be a finite number >= 0. "
                f"Received: context_loss_weight={context_loss_weight!r}"
            )
        self.context_loss_weight = context_loss_weight
        self.unroll = bool(unroll)
        if not isinstance(motion_input, (bool, np.bool_)):
            raise ValueError(f"`motion_input` must be a bool. Received: motion_input={motion_input!r}")
        self.motion_input = bool(motion_input)
        if not isinstance(null_tap, (bool, np.bool_)):
            raise ValueError(f"`null_tap` must be a bool. Received: null_tap={null_tap!r}")
        if null_tap and head != "dynamic_filter":
            raise ValueError(
                "`null_tap` is a tap of the dynamic filter; it needs "
                f"head='dynamic_filter'. Received: head={head!r}"
            )
        self.null_tap = bool(null_tap)
        if filter_sharing not in FILTER_SHARING:
            raise ValueError(
                f"`filter_sharing` must be one of {FILTER_SHARING}. "
                f"Received: filter_sharing={filter_sharing!r}"
            )
        if filter_sharing != "pixel" and head != "dynamic_filter":
            raise ValueError(
                "`filter_sharing` shares the dynamic filter; it needs "
                f"head='dynamic_filter'. Received: head={head!r}"
            )
        self.filter_sharing = filter_sharing
        if not isinstance(layer_norm, (bool, np.bool_)):
            raise ValueError(f"`layer_norm` must be a bool. Received: layer_norm={layer_norm!r}")
        self.layer_norm = bool(layer_norm)
        self.return_state = bool(return_state)
        # XLA cannot compile the gradient of `ops.scan` on TensorFlow; JAX
        # jits it (`aezoo.layers.spatial_lstm.scan_supports_jit`).
        self.supports_jit = self.unroll or scan_supports_jit()
        self.input_spec = keras.layers.InputSpec(ndim=5)

    def build(self, frames_shape, initial_state_shape=None):
        input_shape = frames_shape
        rows, cols, channels = input_shape[2], input_shape[3], input_shape[4]
        if rows is None or cols is None or channels is None:
            raise ValueError(
                f"{type(self).__name__} needs static rows, columns and channels. "
                f"Received: input_shape={input_shape}"
            )
        p = self.patch_size
        if rows % p or cols % p:
            raise ValueError(
                f"The frames' rows and columns must be divisible by patch_size={p}. "
                f"Received: input_shape={input_shape}"
            )
        self.frame_shape = (rows, cols, channels)
        self.state_rows, self.state_cols = rows // p, cols // p
        k = self.kernel_size
        self.gate_kernels, self.gate_biases, self.gate_norm_scales = [], [], []
        below = p * p * channels * (2 if self.motion_input else 1)
        for level, filters in enumerate(self.filters, start=1):
            self.gate_kernels.append(
                self.add_weight(
                    name=f"level{level}_kernel",
                    shape=(k, k, below + filters, 4 * filters),
                    initializer="glorot_uniform",
                )
            )
            # Gates i, f, g, o; the forget gate starts open (bias 1).
            bias = np.zeros(4 * filters, "float32")
            bias[filters : 2 * filters] = 1.0
            self.gate_biases.append(
                self.add_weight(
                    name=f"level{level}_bias",
                    shape=(4 * filters,),
                    initializer=keras.initializers.Constant(bias),
                )
            )
            if self.layer_norm:
                self.gate_norm_scales.append(
                    self.add_weight(
                        name=f"level{level}_norm_scale", shape=(4 * filters,),
                        initializer="ones",
                    )
                )
            below = filters
        top = self.filters[-1]
        per_pixel = self._taps() if self.head == "dynamic_filter" else channels
        if self.filter_sharing != "patch":
            self.head_kernel = self.add_weight(
                name="head_kernel", shape=(1, 1, top, p * p * per_pixel),
                # With a shared filter the per-pixel logits are corrections:
                # they start at zero.
                initializer="glorot_uniform" if self.filter_sharing == "pixel" else "zeros",
            )
            self.head_bias = self.add_weight(
                name="head_bias", shape=(p * p * per_pixel,), initializer="zeros"
            )
        if self.filter_sharing != "pixel":
            self.shared_head_kernel = self.add_weight(
                name="shared_head_kernel", shape=(1, 1, top, self._taps()),
                initializer="glorot_uniform",
            )
            self.shared_head_bias = self.add_weight(
                name="shared_head_bias", shape=(self._taps(),), initializer="zeros"
            )
        if self.head == "dynamic_filter":
            self._neighbourhood_index = _folded_neighbourhood_index(p, self.filter_size)

    def _taps(self):
        """Softmax entries per pixel: the neighbourhood, and the null tap."""
        return self.filter_size**2 + (1 if self.null_tap else 0)

    # -- one step ---------------------------------------------------------------

    def _fold(self, frame):
        """(batch, rows, cols, ch) -> (batch, rows/p, cols/p, p*p*ch)."""
        p = self.patch_size
        rows, cols, _ = self.frame_shape
        ch = frame.shape[-1]
        x = ops.reshape(frame, (-1, rows // p, p, cols // p, p, ch))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (-1, rows // p, cols // p, p * p * ch))

    def _unfold(self, maps, depth):
        """(batch, rows/p, cols/p, p*p*depth) -> (batch, rows, cols, depth)."""
        p = self.patch_size
        rows, cols, _ = self.frame_shape
        x = ops.reshape(maps, (-1, rows // p, cols // p, p, p, depth))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (-1, rows, cols, depth))

    def _step(self, frame, previous, states):
        if self.motion_input:
            frame_input = ops.concatenate([frame, frame - previous], axis=-1)
        else:
            frame_input = frame
        x = self._fold(frame_input)
        new_states = []
        for level in range(len(self.filters)):
            h, c = states[2 * level], states[2 * level + 1]
            z = ops.conv(
                ops.concatenate([x, h], axis=-1), self.gate_kernels[level],
                strides=1, padding="same",
            )
            if self.layer_norm:
                z = normalized(z, self.gate_norm_scales[level])
            z = z + self.gate_biases[level]
            # The gate arithmetic and the cell state in float32 whatever the
            # compute dtype (a no-op in float32): under mixed_bfloat16 the
            # convolutions run in bfloat16 (AMX), but this CPU's elementwise
            # ops are faster in float32 (benchmarks/bf16_elementwise.py),
            # and c keeps float32's precision over the steps.
            i, f, g, o = ops.split(ops.cast(z, _CELL_DTYPE), 4, axis=-1)
            c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
            h = ops.cast(ops.sigmoid(o) * ops.tanh(c), x.dtype)
            new_states += [h, c]
            x = h
        return self._predict(frame, self._logits(x)), new_states

    def _run(self, carry, frames=None, length=None):
        """Steps from `carry = (prediction, previous input, *states)`: one
        per frame of `frames` (batch first), fed that frame, or `length`
        steps, each fed the previous prediction. Returns the last carry and
        the predictions `(batch, steps, rows, cols, channels)`."""

        def step(carry, frame):
            frame = carry[0] if frame is None else frame
            prediction, states = self._step(frame, carry[1], list(carry[2:]))
            carry = (prediction, frame, *states)
            # keras.ops.scan (TF backend) wants per-step outputs shaped like
            # the carry, so the carry holds the prediction too.
            return carry, carry

        if self.unroll:
            outputs = []
            for t in range(length if frames is None else frames.shape[1]):
                carry, _ = step(carry, None if frames is None else frames[:, t])
                outputs.append(carry[0])
            return carry, ops.stack(outputs, axis=1)
        xs = None if frames is None else ops.moveaxis(frames, 1, 0)
        carry, outputs = ops.scan(step, carry, xs, length=length)
        return carry, ops.moveaxis(outputs[0], 0, 1)

    def _logits(self, top):
        """The head's logits from the top state: `(batch, rows/p, cols/p,
        p*p*per_pixel)` (`filter_sharing="pixel"`, or the pixel head), or
        `(batch, rows/p, cols/p, p*p or 1, taps)` for a shared filter (1
        where the patch's pixels share it alone)."""
        rows, cols = top.shape[1], top.shape[2]
        logits = 0.0
        if self.filter_sharing != "patch":
            logits = ops.conv(top, self.head_kernel, strides=1, padding="same") + self.head_bias
            if self.filter_sharing == "pixel":
                return logits
            logits = ops.reshape(logits, (-1, rows, cols, self.patch_size**2, self._taps()))
        if self.filter_sharing != "pixel":
            shared = ops.conv(top, self.shared_head_kernel, strides=1, padding="same")
            shared = shared + self.shared_head_bias
            logits = logits + ops.reshape(shared, (-1, rows, cols, 1, self._taps()))
        return logits

    def _predict(self, frame, head):
        channels = self.frame_shape[-1]
        if self.head == "pixel":
            return ops.sigmoid(self._unfold(head, channels))
        # All in the folded layout: the head's `p*p*n*n` channels at a
        # position are the n*n weights of each of its p*p pixels, and a
        # one-hot convolution of the folded frame lists each pixel's n x n
        # neighbourhood in the same order. Unfolding the weights to full
        # resolution instead (one transpose of p*p*n*n values per position,
        # forward and backward) took a quarter of the step.
        n2 = self.filter_size**2
        rows, cols = head.shape[1], head.shape[2]
        pixels = self.patch_size**2
        if len(head.shape) == 4:
            head = ops.reshape(head, (-1, rows, cols, pixels, self._taps()))
        # (batch, rows, cols, p*p or 1, taps): a shared filter broadcasts.
        weights = ops.softmax(head, axis=-1)
        if self.null_tap:
            # The last tap reads zero: it only takes weight off the others.
            weights = weights[..., :n2]
        # Built from its 1-hot positions (p*p*n*n integers) rather than held
        # as a constant: the float kernel, 0.75 MB at p=4, n=9, would be
        # stored in every traced loop body of an exported SavedModel.
        kernel = _kernel_from_index(
            self._neighbourhood_index, self.patch_size, self.filter_size, frame.dtype
        )
        outputs = []
        for ch in range(channels):
            patches = ops.conv(
                self._fold(frame[..., ch : ch + 1]), kernel, strides=1, padding="same"
            )
            patches = ops.reshape(patches, (-1, rows, cols, pixels, n2))
            if weights.shape[-2] == 1:
                # One filter per patch: a batched matrix product (pixels x
                # taps by taps x 1) instead of broadcasting the filter over
                # the patch's pixels, which materialized pixels x taps
                # products per position (and tiled them back in the
                # backward pass; benchmarks/bf16_elementwise.py).
                moved = ops.matmul(patches, ops.swapaxes(weights, -1, -2))[..., 0]
            else:
                moved = ops.sum(weights * patches, axis=-1)
            outputs.append(self._unfold(moved, 1))
        return outputs[0] if channels == 1 else ops.concatenate(outputs, axis=-1)

    # -- Keras API --------------------------------------------------------------

    def call(self, frames, initial_state=None, training=None):
        batch = ops.shape(frames)[0]
        given = frames.shape[1]
        if given is None:
            raise ValueError(
                f"{self.name} needs a static number of frames. Received: "
                f"frames.shape={frames.shape}"
            )
        states = self._initial_states(frames, batch, initial_state)
        # Over the given frames (teacher forced): one step per frame. The
        # carry is (last prediction, last input frame, *states); the first
        # frame is its own previous frame.
        carry = (ops.zeros_like(frames[:, 0]), frames[:, 0], *states)
        carry, context = self._run(carry, frames=frames)
        # Returned in the compute dtype, like every output (`c` is float32
        # inside the loop).
        view_point_states = [ops.cast(state, frames.dtype) for state in carry[2:]]
        # The prediction after the last given frame is the first free one;
        # each further step is fed the previous prediction.
        predictions = context
        if self.predict_steps > 1:
            _, free = self._run(carry, length=self.predict_steps - 1)
            predictions = ops.concatenate([context, free], axis=1)
        if training and self.context_loss_weight > 0 and given > 1:
            # In float32 whatever the compute dtype: Keras sums the model's
            # losses in float32 (mixed_bfloat16 would hand it a bfloat16).
            error = ops.mean(
                ops.square(ops.cast(context[:, :-1], "float32") - ops.cast(frames[:, 1:], "float32"))
            )
            # Under tf.distribute Keras weighs add_loss terms like compiled
            # losses (tests/training/test_distributed_training.py checks it).
            self.add_loss(self.context_loss_weight * error)
        if self.return_state:
            return [predictions, *view_point_states]
        return predictions

    def _initial_states(self, frames, batch, initial_state):
        shapes = [
            (self.state_rows, self.state_cols, f) for f in self.filters for _ in (0, 1)
        ]
        if initial_state is None:
            return [
                ops.zeros((batch,) + s, dtype=dtype)
                for s, dtype in zip(shapes, self._state_dtypes(frames))
            ]
        if len(initial_state) != len(shapes):
            raise ValueError(
                f"`initial_state` of {self.name} must be a list [h_1, c_1, ...] of "
                f"{len(shapes)} tensors. Received {len(initial_state)} tensors."
            )
        for state, shape in zip(initial_state, shapes):
            if tuple(state.shape[1:]) != shape:
                raise ValueError(
                    f"{self.name} expects initial states of shapes "
                    f"{[(None,) + s for s in shapes]}. Received: {tuple(state.shape)}"
                )
        return [
            ops.cast(s, dtype) for s, dtype in zip(initial_state, self._state_dtypes(frames))
        ]

    def _state_dtypes(self, frames):
        """Each state's dtype: `h` in the compute dtype, `c` in float32 (`_step`)."""
        return [frames.dtype, _CELL_DTYPE] * len(self.filters)

    def compute_output_shape(self, frames_shape, initial_state_shape=None):
        batch, given = frames_shape[0], frames_shape[1]
        steps = None if given is None else given - 1 + self.predict_steps
        output = (batch, steps) + tuple(frames_shape[2:])
        if not self.return_state:
            return output
        p = self.patch_size
        rows, cols = frames_shape[2] // p, frames_shape[3] // p
        states = [(batch, rows, cols, f) for f in self.filters for _ in (0, 1)]
        return [output, *states]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "patch_size": self.patch_size,
                "kernel_size": self.kernel_size,
                "head": self.head,
                "filter_size": self.filter_size,
                "predict_steps": self.predict_steps,
                "context_loss_weight": self.context_loss_weight,
                "unroll": self.unroll,
                "return_state": self.return_state,
                "motion_input": self.motion_input,
                "null_tap": self.null_tap,
                "filter_sharing": self.filter_sharing,
                "layer_norm": self.layer_norm,
            }
        )
        return config


def _folded_neighbourhood_index(patch_size, filter_size):
    """Where `_folded_neighbourhood_kernel` has its ones: for each of its
    `p*p*n*n` output channels, the flat index of its single 1 in the
    `(k, k, p*p)` input positions. An int32 array `(p*p*n*n,)`."""
    kernel = _folded_neighbourhood_kernel(patch_size, filter_size)
    k, pixels = kernel.shape[0], kernel.shape[2]
    return np.argmax(kernel.reshape(k * k * pixels, -1), axis=0).astype("int32")


def _kernel_from_index(index, patch_size, filter_size, dtype):
    """`_folded_neighbourhood_kernel` as a tensor of `dtype`, built from
    its `_folded_neighbourhood_index`."""
    k, pixels = _kernel_span(patch_size, filter_size), patch_size**2
    one_hot = ops.one_hot(ops.convert_to_tensor(index), k * k * pixels, dtype=dtype)
    return ops.reshape(ops.transpose(one_hot), (k, k, pixels, int(index.shape[0])))


def _kernel_span(patch_size, filter_size):
    """`k`: the odd number of patches an `n x n` neighbourhood reaches across."""
    reach = -(-(filter_size // 2) // patch_size)
    return 2 * reach + 1


def _folded_neighbourhood_kernel(patch_size, filter_size):
    """One-hot kernel listing each pixel's neighbourhood from folded frames.

    A convolution of a folded frame `(batch, rows/p, cols/p, p*p)` with it
    gives `(batch, rows/p, cols/p, p*p*n*n)`: at each position, for each of
    its `p*p` pixels (row-major in the patch, as `_fold` orders them), the
    `n x n` neighbourhood of that pixel in the unfolded frame (row-major),
    zero outside the frame, as a `"same"` convolution at full resolution
    would list it. Returns a float32 array `(k, k, p*p, p*p*n*n)`, `k` the
    odd number of patches a neighbourhood can reach across.
    """
    p, n = patch_size, filter_size
    radius = n // 2
    k = _kernel_span(p, n)
    reach = k // 2  # patches a neighbourhood reaches on each side
    kernel = np.zeros((k, k, p * p, p * p * n * n), "float32")
    for py in range(p):
        for px in range(p):
            out = (py * p + px) * n * n
            for i in range(n):
                dy, sy = divmod(py + i - radius, p)
                for j in range(n):
                    dx, sx = divmod(px + j - radius, p)
                    kernel[dy + reach, dx + reach, sy * p + sx, out + i * n + j] = 1.0
    return kernel


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _positive_int(name, value):
    if not _is_int(value) or value < 1:
        raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}")
    return int(value)
