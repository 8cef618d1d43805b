"""Independent NumPy references for the conv-LSTM levels (loops, no TF)."""

import numpy as np


def _pad_amounts(length, kernel, stride, out_length):
    total = max((out_length - 1) * stride + kernel - length, 0)
    return total // 2, total - total // 2


def conv2d(x, kernel, stride, padding):
    """x: (rows, cols, cin); kernel: (kh, kw, cin, cout). TF semantics."""
    rows, cols, _ = x.shape
    kh, kw, _, cout = kernel.shape
    if padding == "same":
        out_r, out_c = -(-rows // stride), -(-cols // stride)
        (t, b), (l, r) = (
            _pad_amounts(rows, kh, stride, out_r),
            _pad_amounts(cols, kw, stride, out_c),
        )
        x = np.pad(x, ((t, b), (l, r), (0, 0)))
    else:
        out_r, out_c = (rows - kh) // stride + 1, (cols - kw) // stride + 1
    out = np.zeros((out_r, out_c, cout))
    for i in range(out_r):
        for j in range(out_c):
            patch = x[i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[i, j] = np.tensordot(patch, kernel, axes=([0, 1, 2], [0, 1, 2]))
    return out


def conv2d_transpose(x, kernel, stride, padding):
    """x: (rows, cols, cin); kernel: (kh, kw, cout, cin). TF semantics.

    Scatter every input pixel through the kernel, then crop as the gradient
    of the matching forward convolution does.
    """
    rows, cols, _ = x.shape
    kh, kw, cout, _ = kernel.shape
    full = np.zeros(((rows - 1) * stride + kh, (cols - 1) * stride + kw, cout))
    for i in range(rows):
        for j in range(cols):
            full[i * stride : i * stride + kh, j * stride : j * stride + kw] += np.tensordot(
                kernel, x[i, j], axes=([3], [0])
            )
    if padding == "same":
        out_r, out_c = rows * stride, cols * stride
        top, _ = _pad_amounts(out_r, kh, stride, rows)
        left, _ = _pad_amounts(out_c, kw, stride, cols)
    else:
        out_r, out_c = (rows - 1) * stride + max(kh, stride), (cols - 1) * stride + max(kw, stride)
        top = left = 0
    full = np.pad(full, ((0, max(0, top + out_r - full.shape[0])), (0, max(0, left + out_c - full.shape[1])), (0, 0)))
    return full[top : top + out_r, left : left + out_c]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def conv_lstm(inputs, kernel, recurrent_kernel, bias, stride, padding, transposed, h0=None, c0=None):
    """Reference conv-LSTM over `inputs` (batch, time, rows, cols, cin).

    Returns (h for every step, final h, final c). Gate order i, f, g, o.
    """
    project = conv2d_transpose if transposed else conv2d
    batch, time = inputs.shape[:2]
    sequences, finals_h, finals_c = [], [], []
    for b in range(batch):
        h = None if h0 is None else h0[b]
        c = None if c0 is None else c0[b]
        sequence = []
        for t in range(time):
            z = project(inputs[b, t], kernel, stride, padding) + bias
            if h is None:
                h = np.zeros(z.shape[:2] + (z.shape[2] // 4,))
                c = np.zeros_like(h)
            z = z + conv2d(h, recurrent_kernel, 1, "same")
            i, f, g, o = np.split(z, 4, axis=-1)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
            sequence.append(h)
        sequences.append(np.stack(sequence))
        finals_h.append(h)
        finals_c.append(c)
    return np.stack(sequences), np.stack(finals_h), np.stack(finals_c)


def posted_conv_lstm(inputs, x_kernel, h_kernel, c_kernel, bias, filters, stride, padding, transposed):
    """Seed 000's `ConvCell`, transcribed from the post's TF1 code, per step:

    h_partial = conv(h, h_filters); h_gates = conv(h, h_filters_gates)
    c_partial = conv(c, c_filters)
    x_partial, x_gates = conv(x, x_filters), conv(x, x_filters_gates)
    i, f, o = split(h_gates + x_gates + c_partial + gate_bias)
    new_c = relu(concat([h_partial, x_partial]) + h_bias) * sig(i) + c * sig(f)
    new_h = new_c * sig(o)

    Our layer keeps x_filters|x_filters_gates in one kernel (`x_kernel`,
    `filters + 3` outputs), h_filters|h_filters_gates in `h_kernel`, and
    h_bias|gate_bias in `bias`. Returns (h for every step, final h, final c).
    """
    project = conv2d_transpose if transposed else conv2d
    batch, time = inputs.shape[:2]
    sequences, finals_h, finals_c = [], [], []
    for b in range(batch):
        h = c = None
        sequence = []
        for t in range(time):
            x_map = project(inputs[b, t], x_kernel, stride, padding)
            x_partial, x_gates = x_map[..., :filters], x_map[..., filters:]
            if h is None:
                h = np.zeros(x_map.shape[:2] + (2 * filters,))
                c = np.zeros_like(h)
            h_map = conv2d(h, h_kernel, 1, "same")
            h_partial, h_gates = h_map[..., :filters], h_map[..., filters:]
            gates = h_gates + x_gates + conv2d(c, c_kernel, 1, "same") + bias[2 * filters :]
            i, f, o = np.split(gates, 3, axis=-1)
            candidate = np.concatenate([h_partial, x_partial], axis=-1) + bias[: 2 * filters]
            c = np.maximum(candidate, 0) * sigmoid(i) + c * sigmoid(f)
            h = c * sigmoid(o)
            sequence.append(h)
        sequences.append(np.stack(sequence))
        finals_h.append(h)
        finals_c.append(c)
    return np.stack(sequences), np.stack(finals_h), np.stack(finals_c)
