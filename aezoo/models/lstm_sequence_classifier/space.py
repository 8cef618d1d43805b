"""The sequence classifier's search space: LSTM width and depth, step size."""

from aezoo.search_space import Param
from aezoo.search_space import Space
from aezoo.search_space import learning_rate
from aezoo.search_space import pick


def _overrides(values):
    return pick(values, "units", "num_layers", "learning_rate")


SPACE = Space(
    (
        Param("units", "Int", (2, 32), 8, step=2, sampling="log",
              reason="LSTM width; the task carries one bit from step to step, the post "
              "used 5"),
        Param("num_layers", "Int", (1, 3), 2,
              reason="stacked LSTMs: one is enough in principle, the post stacked two"),
        learning_rate(1e-3, 3e-2, 1e-2),
    ),
    _overrides,
)
