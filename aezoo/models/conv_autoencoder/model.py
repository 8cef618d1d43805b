"""MNIST convolutional autoencoder (seed 001).

Two stride-2 convolutions (28 -> 14 -> 7), two fully connected layers down to
the code (layer `"code"`), and the mirror image up with transposed
convolutions. The post's version collapsed: with 2x2 kernels and sigmoids
everywhere every input got the same code. The default uses 5x5 / 3x3 kernels
and ReLU hidden layers (the activations matter as much as the kernels: see
docs/FAILURES.md).
"""

import keras

from aezoo.models import common

PRESETS = {
    "default": {
        "image_size": 28,
        "filters": (16, 32),
        "kernel_sizes": (5, 3),
        "padding": "same",
        "hidden_units": 256,
        "code_size": 32,
        "activation": "relu",
        "code_activation": "linear",
        "conv_initializer": "glorot_uniform",
        **common.training_keys("adam", 1e-3),
    },
    # The post: 2x2 stride-2 kernels, sigmoid everywhere (the code too),
    # truncated-normal(stddev=1) convolution init (TF1's default), Adam 1e-4.
    # Its fully connected sizes were not posted; we keep 256 and 32.
    "as_posted": {
        "image_size": 28,
        "filters": (16, 32),
        "kernel_sizes": (2, 2),
        "padding": "valid",
        "hidden_units": 256,
        "code_size": 32,
        "activation": "sigmoid",
        "code_activation": "sigmoid",
        "conv_initializer": {
            "class_name": "TruncatedNormal",
            "config": {"mean": 0.0, "stddev": 1.0},
        },
        **common.training_keys("adam", 1e-4),
    },
}



def conv_autoencoder(**config):
    """Convolutional autoencoder for MNIST with a fully connected code (seed 001)."""
    return _create_conv_autoencoder(**config)


def _create_conv_autoencoder(
    image_size,
    filters,
    kernel_sizes,
    padding,
    hidden_units,
    code_size,
    activation,
    code_activation,
    conv_initializer,
    optimizer,
    learning_rate,
    global_clipnorm,
    clipvalue,
):
    common.check_int("image_size", image_size, maximum=common.MAX_UNITS)
    filters = common.check_int_tuple("filters", filters, length=2, maximum=common.MAX_UNITS)
    kernel_sizes = common.check_int_tuple(
        "kernel_sizes", kernel_sizes, length=2, maximum=common.MAX_UNITS
    )
    common.check_choice("padding", padding, ("same", "valid"))
    common.check_int("hidden_units", hidden_units, maximum=common.MAX_UNITS)
    common.check_int("code_size", code_size, maximum=common.MAX_UNITS)
    activation = common.activation("activation", activation)
    code_activation = common.activation("code_activation", code_activation)
    conv_init = common.check_initializer("conv_initializer", conv_initializer)
    if image_size % 4:
        raise ValueError(
            "Two stride-2 convolutions need `image_size` divisible by 4. "
            f"Received: image_size={image_size}"
        )
    if padding == "valid" and any(k != 2 for k in kernel_sizes):
        raise ValueError(
            "With padding='valid' only 2x2 kernels halve and double sizes "
            f"exactly. Received: kernel_sizes={kernel_sizes}"
        )

    bottom = image_size // 4
    conv = dict(strides=2, padding=padding, kernel_initializer=conv_init)
    image = keras.Input((image_size, image_size, 1), name="image")
    x = keras.layers.Conv2D(
        filters[0], kernel_sizes[0], activation=activation, name="conv1", **conv
    )(image)
    x = keras.layers.Conv2D(
        filters[1], kernel_sizes[1], activation=activation, name="conv2", **conv
    )(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(hidden_units, activation=activation, name="encoder_fc")(x)
    code = keras.layers.Dense(code_size, activation=code_activation, name="code")(x)
    x = keras.layers.Dense(hidden_units, activation=activation, name="decoder_fc1")(code)
    x = keras.layers.Dense(
        bottom * bottom * filters[1], activation=activation, name="decoder_fc2"
    )(x)
    x = keras.layers.Reshape((bottom, bottom, filters[1]), name="unflatten")(x)
    x = keras.layers.Conv2DTranspose(
        filters[0], kernel_sizes[1], activation=activation, name="deconv1", **conv
    )(x)
    reconstruction = keras.layers.Conv2DTranspose(
        1, kernel_sizes[0], activation="sigmoid", name="reconstruction", **conv
    )(x)
    model = keras.Model(image, reconstruction, name="conv_autoencoder")
    model.compile(
        optimizer=common.make_optimizer(
            optimizer, learning_rate, global_clipnorm, clipvalue
        ),
        loss="mean_squared_error",
        metrics=["mean_absolute_error"],
    )
    return model

