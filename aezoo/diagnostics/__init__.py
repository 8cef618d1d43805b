"""Checks and callbacks that detect the documented training failures.

Each check returns a `Verdict` (`ok`, a `message` for a person, and the
numbers) and, given a `log_dir`, writes its numbers to TensorBoard. Callbacks
keep their latest verdict in `verdict` and print it at the end of training.

- exploding gradients, loss spikes (seed 000): `GradientStatistics`,
  `find_loss_spikes`, `LossSpikeDetector`;
- collapsed code (seed 001): `code_spread`, `CodeCollapseMonitor`;
- history unused, wrong sequence layout (seed 002): `sequence_layout`;
- sparsity not enforced (seed 003): `activation_sparsity`, `SparsityMonitor`;
- vanishing gradients (seed 004): `vanishing_gradients`,
  `VanishingGradientMonitor`.
"""

from aezoo.diagnostics.code_collapse import CodeCollapseMonitor
from aezoo.diagnostics.code_collapse import code_spread
from aezoo.diagnostics.gradients import GradientStatistics
from aezoo.diagnostics.loss_spikes import LossSpikeDetector
from aezoo.diagnostics.loss_spikes import find_loss_spikes
from aezoo.diagnostics.sequence_layout import sequence_layout
from aezoo.diagnostics.sparsity import SparsityMonitor
from aezoo.diagnostics.sparsity import activation_sparsity
from aezoo.diagnostics.vanishing_gradients import VanishingGradientMonitor
from aezoo.diagnostics.vanishing_gradients import vanishing_gradients
from aezoo.diagnostics.verdict import Verdict

__all__ = [
    "CodeCollapseMonitor",
    "GradientStatistics",
    "LossSpikeDetector",
    "SparsityMonitor",
    "VanishingGradientMonitor",
    "Verdict",
    "activation_sparsity",
    "code_spread",
    "find_loss_spikes",
    "sequence_layout",
    "vanishing_gradients",
]
