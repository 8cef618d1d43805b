"""Sparse denoising autoencoder for MNIST with a KL sparsity penalty (seed 003).

784 -> `hidden_units` sigmoid -> 784 linear, Gaussian input noise during
training, and `KLSparsity` on the hidden layer (layer `"hidden"`). The post
applied the KL penalty to every sample's activation instead of to each unit's
batch-mean activation, so nothing became sparse and the learned filters
looked like noise; it also shared one noise draw across the batch.
"""

import keras

from aezoo.layers import KLSparsity
from aezoo.layers import SharedGaussianNoise
from aezoo.losses import SumSquaredError
from aezoo.models import common

PRESETS = {
    "default": {
        "input_dim": 784,
        "hidden_units": 200,
        "rho": 0.1,
        "kl_weight": 0.01,
        "per_sample_kl": False,
        "noise": "per_example",
        "noise_stddev": 0.1,
        "l1": 0.0,
        # Weights from pixels that are always 0 (the MNIST border) get no
        # gradient from the data and would keep their random init, which
        # is the "noise" in the filter pictures; a small L2 clears them.
        "l2": 1e-4,
        "decoder_initializer": "glorot_uniform",
        "loss": "mean_squared_error",
        **common.training_keys("adam", 1e-3),
    },
    # The post (TF Model Garden AdditiveGaussianNoiseAutoencoder + KL):
    # per-sample KL with weight 10, one noise draw per batch (scale 0.01),
    # zero-initialized decoder, cost 0.5 * batch-summed squared error, SGD 0.01.
    "as_posted": {
        "input_dim": 784,
        "hidden_units": 200,
        "rho": 0.1,
        "kl_weight": 10.0,
        "per_sample_kl": True,
        "noise": "shared",
        "noise_stddev": 0.01,
        "l1": 0.0,
        "l2": 0.0,
        "decoder_initializer": "zeros",
        "loss": "half_batch_sum_squared_error",
        **common.training_keys("sgd", 1e-2),
    },
}

LOSSES = ("mean_squared_error", "half_batch_sum_squared_error")



def sparse_autoencoder(**config):
    """Sparse denoising autoencoder with a batch-mean KL penalty (seed 003)."""
    return _create_sparse_autoencoder(**config)


def _create_sparse_autoencoder(
    input_dim,
    hidden_units,
    rho,
    kl_weight,
    per_sample_kl,
    noise,
    noise_stddev,
    l1,
    l2,
    decoder_initializer,
    loss,
    optimizer,
    learning_rate,
    global_clipnorm,
    clipvalue,
):
    common.check_int("input_dim", input_dim, maximum=common.MAX_UNITS)
    common.check_int("hidden_units", hidden_units, maximum=common.MAX_UNITS)
    common.check_choice("noise", noise, ("per_example", "shared"))
    noise_stddev = common.check_float("noise_stddev", noise_stddev)
    l1 = common.check_float("l1", l1)
    l2 = common.check_float("l2", l2)
    common.check_choice("loss", loss, LOSSES)
    common.check_bool("per_sample_kl", per_sample_kl)
    sparsity = KLSparsity(rho=rho, weight=kl_weight, per_sample=per_sample_kl)

    pixels = keras.Input((input_dim,), name="pixels")
    noise_layer = (
        keras.layers.GaussianNoise(noise_stddev, name="noise")
        if noise == "per_example"
        else SharedGaussianNoise(noise_stddev, name="noise")
    )
    x = noise_layer(pixels)
    hidden = keras.layers.Dense(
        hidden_units,
        activation="sigmoid",
        kernel_initializer="glorot_uniform",
        kernel_regularizer=keras.regularizers.L1L2(l1=l1, l2=l2) if l1 or l2 else None,
        activity_regularizer=sparsity,
        name="hidden",
    )(x)
    reconstruction = keras.layers.Dense(
        input_dim,
        kernel_initializer=common.check_initializer("decoder_initializer", decoder_initializer),
        name="reconstruction",
    )(hidden)
    model = keras.Model(pixels, reconstruction, name="sparse_autoencoder")
    loss_fn = (
        keras.losses.MeanSquaredError()
        if loss == "mean_squared_error"
        else SumSquaredError(scale=0.5, reduction="sum")
    )
    model.compile(
        optimizer=common.make_optimizer(
            optimizer, learning_rate, global_clipnorm, clipvalue
        ),
        loss=loss_fn,
        metrics=["mean_squared_error"],
    )
    return model
