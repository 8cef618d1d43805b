"""aezoo: autoencoders and recurrent models for Keras 3, each built right.

The public face: imports only.
"""

import aezoo.layers  # noqa: F401  (registers the serializable layers)
import aezoo.losses  # noqa: F401  (registers the losses and metrics)
from aezoo.registry import build
from aezoo.registry import describe
from aezoo.registry import get_config
from aezoo.registry import list_models
from aezoo.registry import list_presets
from aezoo.registry import register_model

__version__ = "0.1.0"

__all__ = [
    "build",
    "describe",
    "get_config",
    "list_models",
    "list_presets",
    "register_model",
]
