"""The predictor's search space: depth and width of the next-frame stack, filter, head, step size."""

from aezoo.search_space import Param
from aezoo.search_space import Space
from aezoo.search_space import learning_rate
from aezoo.search_space import pick


def _overrides(values):
    levels, width = values["levels"], values["channels"]
    return {
        "channels": (width,) * levels,
        "past_channels": (width,),
        # The default shares one dynamic filter per patch; a pixel head has
        # no filter to share.
        "filter_sharing": "patch" if values["head"] == "dynamic_filter" else "pixel",
        **pick(values, "filter_size", "head", "context_loss_weight", "motion_input",
                "learning_rate", "global_clipnorm"),
    }


SPACE = Space(
    (
        Param("levels", "Int", (1, 3), 2,
              "conv-LSTM levels of the next-frame stack, all at 16x16 (patch 4)"),
        Param("channels", "Int", (32, 96), 64, step=32,
              reason="channels of every level (the past head's one level too)"),
        Param("filter_size", "Int", (5, 11), 9, step=2,
              reason="dynamic filter side: a digit can move filter_size // 2 pixels a "
                     "frame (Moving MNIST's move 3.6)"),
        Param("head", "Choice", ("dynamic_filter", "pixel"), "dynamic_filter",
              "transform the current frame, or draw the next one (slower to learn, "
              "docs/BENCHMARKS.md)"),
        Param("context_loss_weight", "Float", (0.0, 2.0), 1.0,
              reason="weight of the one-step predictions of the input frames"),
        Param("motion_input", "Boolean", (False, True), True,
              "each step reads [frame, frame - previous]: the motion as an input "
              "(8% more FLOPs, learns faster at equal data)"),
        learning_rate(3e-4, 2e-2, 1e-2),
        Param("global_clipnorm", "Float", (0.1, 10.0), 1.0, sampling="log",
              reason="the post's run exploded without clipping; 1.0 is the default"),
    ),
    _overrides,
)
