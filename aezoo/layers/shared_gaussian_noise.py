"""`SharedGaussianNoise`: one noise vector for the whole batch (seed 003)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="aezoo")
class SharedGaussianNoise(keras.layers.Layer):
    """Adds one Gaussian noise draw, shared by every example of the batch.

    This reproduces the seed-003 model, which added
    `scale * tf.random_normal((n_input,))` to the whole batch. Use
    `keras.layers.GaussianNoise` (independent noise per example) for real
    denoising training; this layer exists for the `as_posted` preset. Like
    `GaussianNoise`, it is active only in training.

    Args:
        stddev: float >= 0, standard deviation of the noise.
        seed: optional int, seed of the noise generator.
        **kwargs: base `Layer` arguments.

    Call arguments:
        inputs: a tensor `(batch, ...)`.
        training: bool, whether to add noise.

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:

    >>> layer = SharedGaussianNoise(0.1, seed=1)
    >>> y = layer(np.zeros((4, 3), "float32"), training=True)
    >>> bool(np.all(y[0] == y[1]))
    True
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        stddev = float(stddev)
        if not stddev >= 0.0:
            raise ValueError(f"`stddev` must be >= 0. Received: stddev={stddev}")
        self.stddev = stddev
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or self.stddev == 0.0:
            return inputs
        noise = keras.random.normal(
            (1,) + tuple(ops.shape(inputs)[1:]),
            stddev=self.stddev,
            dtype=inputs.dtype,
            seed=self.seed_generator,
        )
        return inputs + noise

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config
