"""`Verdict`: what a diagnostic found, in words and in numbers."""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The result of one diagnostic check.

    Every check in `aezoo.diagnostics` returns one; callbacks keep the latest
    in their `verdict` attribute and print it at the end of training.

    Args:
        check: the check's name (also the prefix of its TensorBoard tags),
            e.g. `"code_collapse"`.
        ok: `False` when the check found the failure it looks for.
        message: one or two sentences for a person: what was measured, what
            it means, and what to change.
        numbers: scalar measurements (`float`, `int` or `bool`) by name;
            logged as TensorBoard scalars `<check>/<name>`.
        histograms: 1-D arrays by name (per unit, per dimension, ...); logged
            as TensorBoard histograms `<check>/<name>`.
        details: anything else worth keeping (per-layer tables, step lists).

    Example:

    >>> verdict = aezoo.diagnostics.code_spread(model, images)
    >>> verdict.ok, verdict["relative_spread"]
    (True, 0.41)
    >>> print(verdict)
    [ok] code_collapse: ...
    """

    check: str
    ok: bool
    message: str
    numbers: dict = dataclasses.field(default_factory=dict)
    histograms: dict = dataclasses.field(default_factory=dict)
    details: dict = dataclasses.field(default_factory=dict)

    def __getitem__(self, name):
        for group in (self.numbers, self.histograms, self.details):
            if name in group:
                return group[name]
        raise KeyError(
            f"{self.check} has no measurement {name!r}. Available: "
            f"{', '.join([*self.numbers, *self.histograms, *self.details])}"
        )

    def __str__(self):
        return f"[{'ok' if self.ok else 'PROBLEM'}] {self.check}: {self.message}"

    def as_dict(self):
        """The verdict as plain Python data (JSON-serializable)."""
        return {
            "check": self.check,
            "ok": bool(self.ok),
            "message": self.message,
            "numbers": {k: _plain(v) for k, v in self.numbers.items()},
            "histograms": {k: _plain(v) for k, v in self.histograms.items()},
            "details": {k: _plain(v) for k, v in self.details.items()},
        }


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return value
