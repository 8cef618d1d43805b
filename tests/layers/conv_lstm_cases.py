"""Shared checks of the two conv-LSTM levels against the NumPy reference."""

import numpy as np

from tests.layers import numpy_reference


def check_against_reference(layer_cls, transposed, input_shape, filters, kernel_size,
                            padding, unroll, with_initial_state, seed=0):
    rng = np.random.default_rng(seed)
    inputs = rng.uniform(-1, 1, input_shape).astype("float32")
    layer = layer_cls(
        filters,
        kernel_size=kernel_size,
        strides=2,
        padding=padding,
        return_sequences=True,
        return_state=True,
        unroll=unroll,
    )
    layer.build(input_shape)
    weights = [rng.normal(0, 0.3, w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(weights)
    kernel, recurrent_kernel, bias = weights
    h0 = c0 = None
    call_kwargs = {}
    if with_initial_state:
        state_shape = (input_shape[0],) + layer.state_shape
        h0 = rng.uniform(-1, 1, state_shape).astype("float32")
        c0 = rng.uniform(-1, 1, state_shape).astype("float32")
        call_kwargs["initial_state"] = [h0, c0]
    sequence, h, c = layer(inputs, **call_kwargs)
    expected = numpy_reference.conv_lstm(
        inputs.astype("float64"), kernel, recurrent_kernel, bias, 2, padding,
        transposed, h0, c0,
    )
    for actual, wanted in zip((sequence, h, c), expected):
        np.testing.assert_allclose(np.asarray(actual), wanted, atol=1e-5, rtol=1e-5)
