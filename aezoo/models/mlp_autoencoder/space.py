"""The MLP autoencoder's search space: depth, width, initializer, step size."""

from aezoo.search_space import Param
from aezoo.search_space import Space
from aezoo.search_space import learning_rate
from aezoo.search_space import pick

# The seed-004 post's initializer: too small for gradients to pass 2 layers.
POSTED_NORMAL = {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 1e-3}}


def _overrides(values):
    initializer = values["kernel_initializer"]
    return {
        "kernel_initializer": POSTED_NORMAL if initializer == "posted_normal" else initializer,
        **pick(values, "hidden_layers", "units", "learning_rate"),
    }


SPACE = Space(
    (
        Param("hidden_layers", "Int", (1, 4), 2,
              reason="depth; the post's 2-layer net already failed with its init"),
        Param("units", "Int", (4, 64), 16, step=2, sampling="log",
              reason="width of every hidden layer; 16 is the post's"),
        Param("kernel_initializer", "Choice",
              ("glorot_uniform", "he_normal", "lecun_normal", "posted_normal"),
              "glorot_uniform",
              reason="posted_normal is the post's N(0, 1e-3), which stops gradients"),
        learning_rate(1e-4, 1e-2, 1e-3),
    ),
    _overrides,
)
