"""aezoo: autoencoders and recurrent models for Keras 3, each built right.

The public face: imports only.
"""

from aezoo import _startup

_startup.import_tensorflow_quietly()

import aezoo.layers  # noqa: F401  (registers the serializable layers)
import aezoo.losses  # noqa: F401  (registers the losses and metrics)
import aezoo.models  # noqa: F401  (registers the built-in model families)
from aezoo.models.description import describe
from aezoo.registry import build
from aezoo.registry import get_config
from aezoo.registry import list_models
from aezoo.registry import list_presets
from aezoo.registry import register_model

__version__ = "0.1.0"

# Loaded on first use, so that `import aezoo` (and loading a `.keras` file)
# pulls in neither tensorflow-datasets nor KerasTuner.
_LAZY = {
    "train": "aezoo.training",
    "evaluate": "aezoo.training",
    "export": "aezoo.artifact",
    "load": "aezoo.artifact",
    "predict": "aezoo.artifact",
    "tune": "aezoo.tuning",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'aezoo' has no attribute {name!r}")


__all__ = [
    "build",
    "describe",
    "evaluate",
    "export",
    "get_config",
    "list_models",
    "list_presets",
    "load",
    "predict",
    "register_model",
    "train",
    "tune",
]
