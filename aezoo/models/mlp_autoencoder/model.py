"""Tiny signal "identity encoder" MLP (seed 004).

x in [-1, 1] -> `hidden_layers` ReLU layers of `units` -> 1 linear unit,
scaled by `output_scale` (the post's estimate is 2 * output). With the post's
N(0, 1e-3) initialization a second hidden layer makes gradients vanish and
the output constant; Glorot init, bias 0.1 and Adam fix it.
"""

import keras

from aezoo.models import common

_POSTED_INIT = {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 1e-3}}

PRESETS = {
    "default": {
        "input_dim": 1,
        "hidden_layers": 2,
        "units": 16,
        "activation": "relu",
        "kernel_initializer": "glorot_uniform",
        "bias_initializer": {"class_name": "Constant", "config": {"value": 0.1}},
        "output_scale": 2.0,
        **common.training_keys("adam", 1e-3),
    },
    # The post's failing 3-layer net: N(0, 1e-3) weights and biases,
    # SGD 1e-3, gradients clipped by value to 4.5.
    "as_posted": {
        "input_dim": 1,
        "hidden_layers": 2,
        "units": 16,
        "activation": "relu",
        "kernel_initializer": _POSTED_INIT,
        "bias_initializer": _POSTED_INIT,
        "output_scale": 2.0,
        **common.training_keys("sgd", 1e-3, clipvalue=4.5),
    },
}



def mlp_autoencoder(**config):
    """MLP that reproduces its scalar input, deep enough to need good init (seed 004)."""
    return _create_mlp_autoencoder(**config)


def _create_mlp_autoencoder(
    input_dim,
    hidden_layers,
    units,
    activation,
    kernel_initializer,
    bias_initializer,
    output_scale,
    optimizer,
    learning_rate,
    global_clipnorm,
    clipvalue,
):
    common.check_int("input_dim", input_dim, maximum=common.MAX_UNITS)
    common.check_int("hidden_layers", hidden_layers, maximum=common.MAX_LAYERS)
    common.check_int("units", units, maximum=common.MAX_UNITS)
    activation = common.activation("activation", activation)
    output_scale = common.check_float("output_scale", output_scale, strict=True)
    init = dict(
        kernel_initializer=common.check_initializer("kernel_initializer", kernel_initializer),
        bias_initializer=common.check_initializer("bias_initializer", bias_initializer),
    )

    signal = keras.Input((input_dim,), name="signal")
    x = signal
    for index in range(1, hidden_layers + 1):
        x = keras.layers.Dense(units, activation=activation, name=f"hidden{index}", **init)(x)
    x = keras.layers.Dense(input_dim, name="output", **init)(x)
    estimate = keras.layers.Rescaling(output_scale, name="estimate")(x)
    model = keras.Model(signal, estimate, name="mlp_autoencoder")
    model.compile(
        optimizer=common.make_optimizer(
            optimizer, learning_rate, global_clipnorm, clipvalue
        ),
        loss="mean_squared_error",
    )
    return model
