"""Recipes -> Keras `fit`: checkpoints, resume, NaN safety, run folders."""

from aezoo.training.backup import ResumableBackup
from aezoo.training.evaluate import evaluate
from aezoo.training.recipes import apply_overrides
from aezoo.training.recipes import load_recipe
from aezoo.training.trainer import TrainResult
from aezoo.training.trainer import resolve_recipe
from aezoo.training.trainer import train

__all__ = ["ResumableBackup", "TrainResult", "apply_overrides", "evaluate", "load_recipe", "resolve_recipe", "train"]
