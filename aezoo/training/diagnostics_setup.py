"""Turns a recipe's `[diagnostics]` section into callbacks and verdicts.

```toml
[diagnostics]
checks = ["gradient_statistics", "loss_spikes"]   # see CHECKS
histogram_freq = 100                             # gradient histograms every N steps
```

`gradient_statistics` records the global gradient norm of every real
training step (and per-variable histograms); `loss_spikes` needs it. The
epoch-end monitors (`code_collapse`, `sparsity`, `vanishing_gradients`)
measure a fixed batch of the validation split; `sequence_layout` runs once
after training on the validation split.
"""

import json

from aezoo import diagnostics

CHECKS = (
    "gradient_statistics",
    "loss_spikes",
    "code_collapse",
    "sparsity",
    "vanishing_gradients",
    "sequence_layout",
)


def check_section(section):
    unknown = sorted(set(section) - {"checks", "histogram_freq"})
    if unknown:
        raise ValueError(
            f"Unknown [diagnostics] keys: {', '.join(unknown)}. Valid: checks, histogram_freq."
        )
    for check in section.get("checks", []):
        if check not in CHECKS:
            raise ValueError(
                f"Unknown diagnostic {check!r} in [diagnostics] checks. Valid: {', '.join(CHECKS)}."
            )
    if "loss_spikes" in section.get("checks", []) and "gradient_statistics" not in section["checks"]:
        raise ValueError(
            "The loss_spikes check compares loss spikes with gradient spikes: "
            "add 'gradient_statistics' to [diagnostics] checks."
        )


class Diagnostics:
    """The callbacks of a run's checks, and their verdicts afterwards."""

    def __init__(self, section, log_dir, probe):
        """`probe`: one validation batch `(x, y[, sample_weight])` (NumPy)."""
        checks = section.get("checks", [])
        self.checks = checks
        self.probe = probe
        self.callbacks = []
        self.gradients = None
        log_dir = str(log_dir)
        if "gradient_statistics" in checks:
            self.gradients = diagnostics.GradientStatistics(
                log_dir=log_dir, histogram_freq=section.get("histogram_freq", 100)
            )
            self.callbacks.append(self.gradients)
        if "loss_spikes" in checks:
            self.callbacks.append(
                diagnostics.LossSpikeDetector(gradient_statistics=self.gradients, log_dir=log_dir)
            )
        x = probe[0]
        if "code_collapse" in checks:
            self.callbacks.append(diagnostics.CodeCollapseMonitor(x, log_dir=log_dir))
        if "sparsity" in checks:
            self.callbacks.append(diagnostics.SparsityMonitor(x, log_dir=log_dir))
        if "vanishing_gradients" in checks:
            self.callbacks.append(
                diagnostics.VanishingGradientMonitor(*probe, log_dir=log_dir)
            )
        self.log_dir = log_dir

    def verdicts(self, model, validation_data):
        results = [c.verdict for c in self.callbacks if getattr(c, "verdict", None) is not None]
        if "sequence_layout" in self.checks:
            verdict = diagnostics.sequence_layout(model, validation_data, log_dir=self.log_dir)
            print(verdict)
            results.append(verdict)
        return results

    def write(self, run_dir, verdicts):
        """Appends this call's verdicts and per-step gradient norms to the run."""
        path = run_dir / "diagnostics.json"
        previous = json.loads(path.read_text()) if path.exists() else []
        previous.append([v.as_dict() for v in verdicts])
        path.write_text(json.dumps(previous, indent=2))
        if self.gradients is not None and self.gradients.steps:
            csv = run_dir / "gradients.csv"
            new = not csv.exists()
            with open(csv, "a") as handle:
                if new:
                    handle.write("step,loss,global_norm\n")
                for step, loss, norm in zip(
                    self.gradients.steps, self.gradients.losses, self.gradients.global_norms
                ):
                    handle.write(f"{step},{loss},{norm}\n")
