"""The sparse autoencoder's search space: sparsity target and weight, noise, weight penalties, step size."""

from aezoo.search_space import Param
from aezoo.search_space import Space
from aezoo.search_space import learning_rate
from aezoo.search_space import pick


def _overrides(values):
    return pick(values, "rho", "kl_weight", "noise_stddev", "l1", "l2", "learning_rate")


SPACE = Space(
    (
        Param("rho", "Float", (0.01, 0.2), 0.1, sampling="log",
              reason="target batch-mean activation of each hidden unit"),
        Param("kl_weight", "Float", (1e-3, 1.0), 0.01, sampling="log",
              reason="weight of the KL penalty against the reconstruction MSE, around "
              "the default 0.01 (the post's 10 applied it per sample)"),
        Param("noise_stddev", "Float", (0.0, 0.3), 0.1,
              reason="denoising noise on [0, 1] pixels, from none (0) to 0.3"),
        Param("l1", "Choice", (0.0, 1e-6, 1e-5, 1e-4), 0.0,
              reason="L1 on the encoder weights (0: none)"),
        Param("l2", "Choice", (0.0, 1e-5, 1e-4, 1e-3), 1e-4,
              reason="L2 on the encoder weights; clears the never-updated border "
              "weights in the filter pictures"),
        learning_rate(1e-4, 1e-2, 1e-3),
    ),
    _overrides,
)
