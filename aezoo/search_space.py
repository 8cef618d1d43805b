"""Search-space data: `Param` (one hyperparameter) and `Space` (a family's).

A family's search space is plain data: a tuple of `Param`s (how KerasTuner
samples each one, its default and the reason for its range) and a function
turning one point of the space into `aezoo.build` overrides. `Param.declare`
takes any KerasTuner `HyperParameters`, so this module imports neither
KerasTuner nor the rest of aezoo: the families stand on it.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Param:
    """One hyperparameter: how KerasTuner samples it, and why this range.

    Attributes:
        name: the hyperparameter's name in the search.
        kind: `"Int"`, `"Float"`, `"Choice"` or `"Boolean"` (the
            `HyperParameters` method that declares it; KerasTuner's
            `Choice` turns `True`/`False` into 1/0).
        bounds: `(min, max)` for `Int` and `Float`, the values for `Choice`,
            `(False, True)` for `Boolean`.
        default: the value of the model's default preset.
        reason: why the range is what it is.
        step: `Int`/`Float` step (with `sampling="log"`, a factor).
        sampling: `"linear"` or `"log"`.
    """

    name: str
    kind: str
    bounds: tuple
    default: object
    reason: str
    step: object = None
    sampling: str = "linear"

    def declare(self, hp):
        """Declares the parameter on `hp` and returns its current value."""
        if self.kind == "Choice":
            return hp.Choice(self.name, list(self.bounds), default=self.default)
        if self.kind == "Boolean":
            return hp.Boolean(self.name, default=self.default)
        low, high = self.bounds
        declare = getattr(hp, self.kind)
        return declare(
            self.name, low, high, step=self.step, sampling=self.sampling, default=self.default
        )

    def describe_range(self):
        """The range in words, e.g. `"8..64, log, x2"` or `"0.0, 1e-06"`."""
        if self.kind in ("Choice", "Boolean"):
            return ", ".join(map(str, self.bounds))
        words = [f"{self.bounds[0]}..{self.bounds[1]}"]
        if self.sampling == "log":
            words.append("log")
        if self.step is not None:
            words.append(f"x{self.step}" if self.sampling == "log" else f"step {self.step}")
        return ", ".join(words)


@dataclass(frozen=True)
class Space:
    """A model's search space: `params`, and `overrides(values) -> dict`
    turning one point into `aezoo.build` overrides."""

    params: tuple
    overrides: object


def learning_rate(low, high, default):
    """The learning-rate `Param`: log-uniform over `[low, high]`."""
    return Param(
        "learning_rate", "Float", (low, high), default, sampling="log",
        reason="Adam's step size; log-uniform because its effect is multiplicative",
    )


def pick(values, *names):
    """The entries `names` of a point `values` (overrides named as the space's)."""
    return {name: values[name] for name in names}
