"""Search spaces: for each model, the hyperparameters worth tuning and why.

A space is plain data: a tuple of `Param`s (how KerasTuner samples each one,
its default and the reason for its range) and a function turning one point
of the space into `aezoo.build` overrides. Every point, bounds included,
builds a valid model (tests/tuning/test_spaces.py builds the corners).

`space_table()` renders every space, with its ranges and reasons, as the
Markdown table of the README.
"""

from dataclasses import dataclass

from aezoo import registry

# The seed-004 post's initializer: too small for gradients to pass 2 layers.
POSTED_NORMAL = {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 1e-3}}


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


def _learning_rate(low, high, default):
    return Param(
        "learning_rate", "Float", (low, high), default, sampling="log",
        reason="Adam's step size; log-uniform because its effect is multiplicative",
    )


def _predictor(values):
    levels, width = values["levels"], values["channels"]
    return {
        "channels": (width,) * levels,
        "past_channels": (width,),
        **_pick(values, "filter_size", "head", "context_loss_weight", "learning_rate",
                "global_clipnorm"),
    }


def _conv_autoencoder(values):
    return {
        "kernel_sizes": (values["kernel_size_1"], values["kernel_size_2"]),
        "filters": (values["filters_1"], values["filters_2"]),
        **_pick(values, "hidden_units", "code_size", "learning_rate"),
    }


def _sparse_autoencoder(values):
    return _pick(values, "rho", "kl_weight", "noise_stddev", "l1", "l2", "learning_rate")


def _mlp_autoencoder(values):
    initializer = values["kernel_initializer"]
    return {
        "kernel_initializer": POSTED_NORMAL if initializer == "posted_normal" else initializer,
        **_pick(values, "hidden_layers", "units", "learning_rate"),
    }


def _sequence_classifier(values):
    return _pick(values, "units", "num_layers", "learning_rate")


def _pick(values, *names):
    return {name: values[name] for name in names}


SPACES = {
    "convlstm_bidir_predictor": Space(
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
            _learning_rate(3e-4, 1e-2, 1e-3),
            Param("global_clipnorm", "Float", (0.1, 10.0), 1.0, sampling="log",
                  reason="the post's run exploded without clipping; 1.0 is the default"),
        ),
        _predictor,
    ),
    "conv_autoencoder": Space(
        (
            Param("kernel_size_1", "Int", (3, 7), 5, step=2,
                  reason="first stride-2 convolution, at 28x28: from 3 to 7 (a quarter of the "
                  "digit); odd sizes, centred on a pixel (the post's 2x2 collapsed)"),
            Param("kernel_size_2", "Int", (3, 5), 3, step=2,
                  reason="second stride-2 convolution, at 14x14"),
            Param("filters_1", "Int", (8, 32), 16, step=2, sampling="log",
                  reason="channels of the first convolution"),
            Param("filters_2", "Int", (16, 64), 32, step=2, sampling="log",
                  reason="channels of the second convolution"),
            Param("hidden_units", "Int", (64, 512), 256, step=2, sampling="log",
                  reason="the fully connected layers on each side of the code"),
            Param("code_size", "Int", (8, 64), 32, step=2, sampling="log",
                  reason="the bottleneck, from 1% to 8% of the 784 pixels"),
            _learning_rate(1e-4, 3e-3, 1e-3),
        ),
        _conv_autoencoder,
    ),
    "sparse_autoencoder": Space(
        (
            Param("rho", "Float", (0.01, 0.2), 0.1, sampling="log",
                  reason="target batch-mean activation of each hidden unit"),
            Param("kl_weight", "Float", (1e-3, 1.0), 0.01, sampling="log",
                  reason="weight of the KL penalty against the reconstruction MSE, around "
                  "the default 0.01 (the post's 10 applied it per sample)"),
            Param("noise_stddev", "Float", (0.0, 0.3), 0.1,
                  reason="denoising noise on [0, 1] pixels, from none (0) to 0.3"),
            Param("l1", "Choice", (0.0, 1e-6, 1e-5, 1e-4), 0.0,
                  reason="L1 on the encoder weights (0: none)"),
            Param("l2", "Choice", (0.0, 1e-5, 1e-4, 1e-3), 1e-4,
                  reason="L2 on the encoder weights; clears the never-updated border "
                  "weights in the filter pictures"),
            _learning_rate(1e-4, 1e-2, 1e-3),
        ),
        _sparse_autoencoder,
    ),
    "mlp_autoencoder": Space(
        (
            Param("hidden_layers", "Int", (1, 4), 2,
                  reason="depth; the post's 2-layer net already failed with its init"),
            Param("units", "Int", (4, 64), 16, step=2, sampling="log",
                  reason="width of every hidden layer; 16 is the post's"),
            Param("kernel_initializer", "Choice",
                  ("glorot_uniform", "he_normal", "lecun_normal", "posted_normal"),
                  "glorot_uniform",
                  reason="posted_normal is the post's N(0, 1e-3), which stops gradients"),
            _learning_rate(1e-4, 1e-2, 1e-3),
        ),
        _mlp_autoencoder,
    ),
    "lstm_sequence_classifier": Space(
        (
            Param("units", "Int", (2, 32), 8, step=2, sampling="log",
                  reason="LSTM width; the task carries one bit from step to step, the post "
                  "used 5"),
            Param("num_layers", "Int", (1, 3), 2,
                  reason="stacked LSTMs: one is enough in principle, the post stacked two"),
            _learning_rate(1e-3, 3e-2, 1e-2),
        ),
        _sequence_classifier,
    ),
}


def get_space(name):
    """The `Space` of a registered model.

    Raises:
        ValueError: unknown model, or a model without a search space (the
            message lists the models that have one).
    """
    registry.get_model_info(name)
    if name not in SPACES:
        raise ValueError(
            f"Model '{name}' has no search space. Models with one: "
            f"{', '.join(sorted(SPACES))}. Add a `Space` to "
            "aezoo.tuning.spaces.SPACES to tune it."
        )
    return SPACES[name]


def space_table():
    """Every space as a Markdown table: model, hyperparameter, range,
    default, reason."""
    lines = [
        "| model | hyperparameter | range | default | why |",
        "|---|---|---|---|---|",
    ]
    for name, space in SPACES.items():
        for index, param in enumerate(space.params):
            model = f"`{name}`" if index == 0 else ""
            lines.append(
                f"| {model} | `{param.name}` | {param.describe_range()} | "
                f"{param.default} | {param.reason} |"
            )
    return "\n".join(lines)
