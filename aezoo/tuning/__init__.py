"""Hyperparameter search: KerasTuner hypermodels and the `tune` driver.

`hypermodel(name)` is a KerasTuner `HyperModel` over a model's search space
(`SPACES`, with the reason for every range); `tune(name, ...)` runs a
resumable search on the model's data, writes a trials table and exports the
best model.
"""

from aezoo.tuning.hypermodel import AezooHyperModel
from aezoo.tuning.hypermodel import hypermodel
from aezoo.tuning.search import TUNERS
from aezoo.tuning.runner import SearchFailedError
from aezoo.tuning.search import TuneResult
from aezoo.tuning.search import distributed_role
from aezoo.tuning.search import tune
from aezoo.tuning.spaces import SPACES
from aezoo.tuning.spaces import Param
from aezoo.tuning.spaces import Space
from aezoo.tuning.spaces import get_space
from aezoo.tuning.spaces import space_table

__all__ = [
    "AezooHyperModel",
    "Param",
    "SPACES",
    "SearchFailedError",
    "Space",
    "TUNERS",
    "TuneResult",
    "distributed_role",
    "get_space",
    "hypermodel",
    "space_table",
    "tune",
]
