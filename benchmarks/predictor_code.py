"""Is the predictor's code (its deepest encoder level) used? Measures the
shipped artifact, then how fast the code collapses from scratch.

    AEZOO_MNIST_DIR=../shared/data/mnist .venv/bin/python benchmarks/predictor_code.py \
        [--steps 100] [--every 25] [--variant recipe --variant output_bias ...]

Part 1, the shipped artifact (64 test sequences): the code's relative spread
across sequences (`aezoo.diagnostics.code_spread` on the deepest encoder
level, whose output is the code), and the future frame MSE when each
sequence's decoders get another sequence's code, or a zero code, with
everything else unchanged. A code the decoders use changes the frames.

Part 2, training from scratch (batch 16, seed 0, the default preset): the
code's relative spread on 32 validation sequences every `--every` steps, for
each variant:

- `recipe`: the recipe's Adam 5e-3 (global-norm clipping 1);
- `lr1e-3`: the preset's Adam 1e-3;
- `warmup`: Adam 1e-3 reached by a linear warm-up over 200 steps;
- `output_bias`: Adam 1e-3, both heads' sigmoid biases initialised at -3
  (the frames' dark background from step 0, instead of grey);
- `layer_norm`: the recipe's Adam 5e-3 with `layer_norm=True` (every
  conv-LSTM level normalizes its gate maps).
"""

import argparse
import time

import keras
import numpy as np

import aezoo
from aezoo.data import for_model
from aezoo.diagnostics import code_spread

NAME = "convlstm_bidir_predictor"
VARIANTS = ("recipe", "lr1e-3", "warmup", "output_bias", "layer_norm")


def encode(model, x):
    """The encoder run once: `(code, [h, c] of every level)`."""
    levels = sum(layer.name.startswith("encoder_level") for layer in model.layers)
    h, states = x, []
    for level in range(1, levels + 1):
        h, *state = model.get_layer(f"encoder_level{level}")(h)
        states.append(state)
    return np.asarray(h), states


def future_frames(model, states, code):
    """The future head run on given encoder states and a given code."""
    steps = model.output["future"].shape[1]
    y = keras.ops.repeat(keras.ops.expand_dims(code, 1), steps, axis=1)
    for level in range(len(states), 0, -1):
        initial = states[level - 2] if level > 1 else None
        y = model.get_layer(f"future_level{level}")(y, initial_state=initial)
    return np.asarray(model.get_layer("future")(y))


def frame_mse(prediction, truth):
    return float(((prediction - truth) ** 2).sum(axis=(2, 3, 4)).mean())


def shipped():
    model = aezoo.load(NAME)
    x, y = next(iter(for_model(NAME, "test", batch_size=64, num_sequences=64)))
    truth = np.asarray(y["future"])
    code, states = encode(model, x)
    verdict = code_spread(model, np.asarray(x), layer_name=f"encoder_level{len(states)}")
    own = future_frames(model, states, code)
    assert np.allclose(own, np.asarray(model(x)["future"]), atol=1e-5), "re-run differs from the model"
    swapped = future_frames(model, states, np.roll(code, 1, axis=0))
    zero = future_frames(model, states, np.zeros_like(code))
    print(f"shipped artifact, 64 test sequences: {verdict}")
    print(f"  future frame MSE: own code {frame_mse(own, truth):.2f}, "
          f"another sequence's code {frame_mse(swapped, truth):.2f}, "
          f"zero code {frame_mse(zero, truth):.2f}")
    print(f"  |code| mean {np.abs(code).mean():.3f}, share of |code| > 0.99: "
          f"{np.mean(np.abs(code) > 0.99):.3f}")


def from_scratch(variant, steps, every):
    keras.utils.set_random_seed(0)
    lr = 5e-3 if variant in ("recipe", "layer_norm") else 1e-3
    model = aezoo.build(NAME, learning_rate=lr, layer_norm=variant == "layer_norm")
    if variant == "warmup":
        schedule = keras.optimizers.schedules.CosineDecay(
            0.0, 100_000, warmup_target=lr, warmup_steps=200
        )
        model.compile(optimizer=keras.optimizers.Adam(schedule, global_clipnorm=1.0), loss=model.loss)
    if variant == "output_bias":
        for head in ("future", "past"):
            bias = model.get_layer(head).bias
            bias.assign(np.full(bias.shape, -3.0, "float32"))
    train = for_model(NAME, "train", batch_size=16, sequences_per_epoch=every * 16,
                      validation_fraction=0.1).repeat()
    x, y = next(iter(for_model(NAME, "validation", batch_size=32, num_sequences=32,
                               validation_fraction=0.1)))
    x, truth = np.asarray(x), np.asarray(y["future"])
    start = time.time()

    def report(step):
        verdict = code_spread(model, x)
        mse = frame_mse(np.asarray(model(x)["future"]), truth)
        print(f"  {variant:>11} step {step:4d}: relative spread {verdict['relative_spread']:.3g}, "
              f"|code| {verdict['magnitude']:.3f}, future frame MSE {mse:.1f} "
              f"({time.time() - start:.0f} s)", flush=True)

    class Report(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            report((epoch + 1) * every)

    report(0)
    # One fit call, one iterator: the stream of new clips of a real run.
    model.fit(train, steps_per_epoch=every, epochs=steps // every, callbacks=[Report()], verbose=0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--every", type=int, default=25)
    parser.add_argument("--variant", action="append", choices=VARIANTS)
    parser.add_argument("--skip-shipped", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_shipped:
        shipped()
    print("from scratch, code spread on 32 validation sequences (threshold 0.01):")
    for variant in args.variant or VARIANTS:
        from_scratch(variant, args.steps, args.every)


if __name__ == "__main__":
    main()
