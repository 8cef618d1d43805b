"""The conv autoencoder's search space: kernels, channels, code size, step size."""

from aezoo.search_space import Param
from aezoo.search_space import Space
from aezoo.search_space import learning_rate
from aezoo.search_space import pick


def _overrides(values):
    return {
        "kernel_sizes": (values["kernel_size_1"], values["kernel_size_2"]),
        "filters": (values["filters_1"], values["filters_2"]),
        **pick(values, "hidden_units", "code_size", "learning_rate"),
    }


SPACE = Space(
    (
        Param("kernel_size_1", "Int", (3, 7), 5, step=2,
              reason="first stride-2 convolution, at 28x28: from 3 to 7 (a quarter of the "
              "digit); odd sizes, centred on a pixel (the post's 2x2 collapsed)"),
        Param("kernel_size_2", "Int", (3, 5), 3, step=2,
              reason="second stride-2 convolution, at 14x14"),
        Param("filters_1", "Int", (8, 32), 16, step=2, sampling="log",
              reason="channels of the first convolution"),
        Param("filters_2", "Int", (16, 64), 32, step=2, sampling="log",
              reason="channels of the second convolution"),
        Param("hidden_units", "Int", (64, 512), 256, step=2, sampling="log",
              reason="the fully connected layers on each side of the code"),
        Param("code_size", "Int", (8, 64), 32, step=2, sampling="log",
              reason="the bottleneck, from 1% to 8% of the 784 pixels"),
        learning_rate(1e-4, 3e-3, 1e-3),
    ),
    _overrides,
)
