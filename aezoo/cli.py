"""The `aezoo` command line: argument parsing only; the work is the Python API."""

import argparse
import errno
import json
import os
import sys

# TensorFlow's C++ warnings are noise on a command line (its start-up lines
# are dropped by `import aezoo`, see aezoo/_startup.py); the variable also
# quiets the trial processes of `aezoo tune`.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(2, f"aezoo: error: {message} (see `aezoo --help`)\n")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _cmd_list(args):
    import aezoo

    for name in aezoo.list_models(args.pattern):
        print(name)


def _cmd_describe(args):
    import aezoo

    info = aezoo.describe(args.name)
    if args.json:
        print(json.dumps(info, indent=2, default=list))
        return
    width = max(len(key) for key in info)
    for key, value in info.items():
        if key == "default_config":
            value = ", ".join(f"{k}={v!r}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(value)
        elif isinstance(value, int):
            value = f"{value:,}"
        print(f"{key:<{width}}  {value}")


def _cmd_train(args):
    from aezoo.training import train

    result = train(
        args.name_or_recipe,
        args.preset,
        out=args.out,
        epochs=args.epochs,
        overrides=args.set,
        strategy=args.strategy,
    )
    if result.status == "already_finished":
        return 0  # `train` said where the results are and how to extend the run
    print(f"aezoo: {result.status}; run folder: {result.run_dir}")
    return 0 if result.status == "finished" else 1


def _cmd_evaluate(args):
    import pathlib

    from aezoo.training.evaluate import evaluate_artifact
    from aezoo.training.evaluate import evaluate_run
    from aezoo.training.evaluate import quality_bar
    from aezoo.training.evaluate import read_run

    if pathlib.Path(args.target).is_dir() and (pathlib.Path(args.target) / "recipe.json").exists():
        name = read_run(args.target)[0]["model"]
        metrics = evaluate_run(args.target, split=args.split, max_batches=args.max_batches, verbose=1)
        card_metrics = {}
    else:
        from aezoo import artifact

        name = artifact.read_card(args.target)["model"]
        metrics, card_metrics = evaluate_artifact(
            args.target, split=args.split, max_batches=args.max_batches, verbose=1
        )
    width = max(len(key) for key in metrics)
    if card_metrics:
        print(f"{'metric':<{width}}  {'measured':>12}  {'card':>12}")
    for key, value in metrics.items():
        shown = f"{value:.6g}" if isinstance(value, float) else str(value)
        line = f"{key:<{width}}  {shown:>12}"
        if card_metrics:
            card = card_metrics.get(key, "")
            line += f"  {card:>12.6g}" if isinstance(card, float) else f"  {card!s:>12}"
        print(line)
    try:
        passed, bar = quality_bar(name, metrics)
    except ValueError:  # a plug-in model without a bar
        print(f"aezoo: {name} has no quality bar; the numbers above are the result.")
        return 0
    print(f"[{'PASS' if passed else 'FAIL'}] quality bar of {name}: {bar}")
    if args.check and not passed:
        return 1
    return 0


def _cmd_export(args):
    from aezoo.training.release import export_run

    card = export_run(
        args.source, args.out, overwrite=args.overwrite, name=args.name,
        preset=args.preset, max_batches=args.max_batches, note=args.note,
    )
    print(f"aezoo: exported {card['model']} ({card['preset']}) to {args.out}: "
          f"{len(card['files'])} files, metrics {card['metrics']}")


def _cmd_predict(args):
    import numpy as np

    import aezoo
    from aezoo.artifact.inference import InputError

    for option, path in (("--out", args.out), ("--picture", args.picture)):
        if path and os.path.isdir(path):
            raise ValueError(f"{option} {path} is a folder; name a file in it, e.g. {os.path.join(path, 'y.npy')}")
    try:
        inputs = np.load(args.input, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read {args.input} as a .npy array ({error}); save it with np.save") from None
    model = aezoo.load(args.name_or_path)
    try:
        outputs = aezoo.predict(model, inputs)
    except InputError as error:
        raise ValueError(f"{args.input}: {error}") from None
    key = None
    if isinstance(outputs, dict):
        key = args.output or next(iter(outputs))
        if key not in outputs:
            raise ValueError(f"--output must be one of {sorted(outputs)}; got {key!r}")
        chosen = outputs[key]
    else:
        if args.output is not None and args.output not in model.output_names:
            raise ValueError(f"--output must be one of {list(model.output_names)}; got {args.output!r}")
        chosen = outputs
    _save_array(args.out, chosen)
    print(f"aezoo: wrote {args.out} {chosen.shape} {chosen.dtype}")
    if args.picture:
        from aezoo.training.pictures import prediction_picture

        prediction_picture(model.name, inputs, outputs, args.picture, output=key)
        print(f"aezoo: wrote {args.picture}")


def _cmd_sample(args):
    from aezoo import data

    inputs = data.sample(args.name, args.split, args.n, args.preset, seed=args.seed)
    _save_array(args.out, inputs)
    print(f"aezoo: wrote {args.out} {inputs.shape} {inputs.dtype}: the first {args.n} "
          f"{args.split} inputs of {args.name}; run `aezoo predict {args.name} "
          f"--input {args.out} --out runs/y.npy`")


def _save_array(path, array):
    """`np.save`, creating the folder first (`--out runs/x.npy` on a fresh clone)."""
    import numpy as np

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    np.save(path, array)


def _cmd_tune(args):
    from aezoo.tuning import SearchFailedError
    from aezoo.tuning import tune
    from aezoo.tuning.runner import format_duration

    try:
        result = tune(
            args.name, tuner=args.tuner, max_trials=args.max_trials, epochs=args.epochs,
            directory=args.dir, overwrite=args.overwrite,
            steps_per_epoch=args.steps_per_epoch, validation_steps=args.validation_steps,
            preset=args.preset, seed=args.seed, verbose=args.verbose,
            trial_processes=not args.in_process,
        )
    except ImportError as error:  # an optional dependency of a tuner
        print(f"aezoo: error: {error}", file=sys.stderr)
        return 2
    except SearchFailedError as error:
        print(f"aezoo: error: {error}", file=sys.stderr)
        return 1
    if result.role == "worker":
        print(f"aezoo: worker finished; the chief writes the table and exports the best "
              f"model to {result.directory}")
        return 0
    print(result.markdown)
    if result.resumed_trials:
        print(f"aezoo: resumed the search in {result.directory}, which held "
              f"{result.resumed_trials} trial(s); its time over all calls: "
              f"{format_duration(result.elapsed_seconds)}")
    print(f"aezoo: best trial {result.best_trial} (val_loss {result.best_score:.6g}), "
          f"exported in {result.directory / 'best'}; table in "
          f"{result.directory / 'trials.csv'} and trials.md")


def build_parser():
    parser = _Parser(
        prog="aezoo",
        description="Autoencoders and recurrent models for Keras 3, each built right.",
    )
    parser.add_argument(
        "--verbose", dest="show_logs", action="store_true",
        help="show TensorFlow's and absl's log messages (AEZOO_VERBOSE=1 also shows "
        "TensorFlow's start-up lines)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    listing = commands.add_parser("list", help="list registered models")
    listing.add_argument("pattern", nargs="?", help="wildcard filter, e.g. 'conv*'")
    listing.set_defaults(func=_cmd_list)

    describe = commands.add_parser(
        "describe", help="task, input/output spec, source, presets and size of a model"
    )
    describe.add_argument("name", help="a registered model name (see `aezoo list`)")
    describe.add_argument("--json", action="store_true", help="print JSON")
    describe.set_defaults(func=_cmd_describe)

    train = commands.add_parser(
        "train",
        help="train with a recipe (rerun the same command to resume)",
        description="Train NAME with recipes/NAME.PRESET.toml, or a RECIPE file. "
        "Rerunning the same command resumes from the run folder's backup.",
    )
    train.add_argument("name_or_recipe", metavar="NAME|RECIPE")
    train.add_argument("--preset", help="preset (default: the recipe's, or 'default')")
    train.add_argument("--epochs", type=_positive_int, help="override fit.epochs")
    train.add_argument("--out", help="run folder (default: runs/NAME-PRESET)")
    train.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="recipe override, e.g. --set fit.steps_per_epoch=50 "
        "--set model_overrides.code_size=16 (repeatable)",
    )
    train.add_argument(
        "--strategy", metavar="mirrored|multi_worker",
        help="tf.distribute strategy: 'mirrored' (the local GPUs) or 'multi_worker' "
        "(one process per worker, cluster from TF_CONFIG); data.batch_size is the "
        "global batch",
    )
    train.set_defaults(func=_cmd_train)

    evaluate = commands.add_parser(
        "evaluate",
        help="metrics of a shipped artifact (by NAME) or of a run folder, on a held-out split",
        description="NAME: the artifact in artifacts/NAME (verified first), measured with "
        "its card's protocol and printed beside the card. DIR: a run folder's best "
        "checkpoint (writes DIR/metrics.json and pictures). Then prints the model's "
        "quality bar (aezoo.training.evaluate.quality_bar) with PASS or FAIL.",
    )
    evaluate.add_argument("target", metavar="NAME|DIR", help="a model name or a run folder")
    evaluate.add_argument("--split", default="test", help="data split (default: test)")
    evaluate.add_argument("--max-batches", type=_positive_int, help="evaluate only N batches")
    evaluate.add_argument("--check", action="store_true",
                          help="exit with status 1 when the model misses its quality bar")
    evaluate.set_defaults(func=_cmd_evaluate)

    export = commands.add_parser(
        "export",
        help="write model.keras + SavedModel + card.json (atomic) from a run folder or checkpoint",
        description="Exports SOURCE (a run folder's best checkpoint, or a .keras file) to "
        "--out: model.keras, saved_model/ (endpoint 'serve'), pictures/ and card.json with "
        "the metrics measured on the test split and a sha256 of every file. An existing "
        "artifact is replaced only with --overwrite, and never half-replaced.",
    )
    export.add_argument("source", metavar="RUN_DIR|CHECKPOINT")
    export.add_argument("--out", required=True, help="artifact folder, e.g. artifacts/NAME")
    export.add_argument("--overwrite", action="store_true", help="replace an existing artifact")
    export.add_argument("--name", help="registry name of a bare checkpoint (default: the model's name)")
    export.add_argument("--preset", default="default", help="preset of a bare checkpoint")
    export.add_argument("--max-batches", type=_positive_int,
                        help="measure the card's metrics on N batches only (quick checks)")
    export.add_argument("--note", help="a sentence for the card's training.note")
    export.set_defaults(func=_cmd_export)

    predict = commands.add_parser(
        "predict",
        help="run a trained model on a .npy batch (validated first)",
        description="Loads NAME from artifacts/ (or an artifact folder), checks the input's "
        "dtype, shape, finiteness and value range, and saves the output.",
    )
    predict.add_argument("name_or_path", metavar="NAME|DIR")
    predict.add_argument("--input", required=True, help="float32 .npy batch")
    predict.add_argument("--out", required=True, help="output .npy")
    predict.add_argument("--output", help="which named output to save (default: the first)")
    predict.add_argument("--picture", help="also write a .png (images) or .png/.gif (frames)")
    predict.set_defaults(func=_cmd_predict)

    sample = commands.add_parser(
        "sample",
        help="save real inputs of a model (a held-out split) as a .npy for predict",
        description="Saves the first N inputs of a split of NAME's data, laid out for the "
        "model, as a float32 .npy: the --input of `aezoo predict` and of "
        "`saved_model_cli run`.",
    )
    sample.add_argument("name", help="a registered model name (see `aezoo list`)")
    sample.add_argument("--split", default="test", help="data split (default: test)")
    sample.add_argument("-n", type=_positive_int, default=8, help="examples (default: 8)")
    sample.add_argument("--out", required=True, help="output .npy, e.g. x.npy")
    sample.add_argument("--preset", default="default", help="preset that sets the shapes")
    sample.add_argument("--seed", type=int, default=0, help="seed of generated data")
    sample.set_defaults(func=_cmd_sample)

    tune = commands.add_parser(
        "tune",
        help="search hyperparameters with KerasTuner (rerun the same command to resume)",
        description="Searches NAME's space (aezoo.tuning.SPACES) on its own data, "
        "objective val_loss; writes DIR/trials.csv and trials.md and exports the best "
        "model to DIR/best. Rerunning the same command resumes (finished trials are "
        "kept); --overwrite restarts. Distributed: set KERASTUNER_ORACLE_IP, "
        "KERASTUNER_ORACLE_PORT and KERASTUNER_TUNER_ID (chief / tuner0 / tuner1 ...) "
        "and run the same command in every process.",
    )
    tune.add_argument("name", help="a registered model name (see `aezoo list`)")
    tune.add_argument("--tuner", default="random", metavar="random|bayesian|hyperband",
                      help="search algorithm (default: random)")
    tune.add_argument("--max-trials", type=_positive_int, default=10,
                      help="models to train (default: 10)")
    tune.add_argument("--epochs", type=_positive_int, default=2,
                      help="epochs per trial; Hyperband: the most (default: 2)")
    tune.add_argument("--dir", help="search folder (default: tuning/NAME)")
    tune.add_argument("--overwrite", action="store_true",
                      help="delete the folder's search and start again")
    tune.add_argument("--steps-per-epoch", type=_positive_int, default=100,
                      help="training steps per epoch (default: 100)")
    tune.add_argument("--validation-steps", type=_positive_int, default=20,
                      help="validation batches per evaluation (default: 20)")
    tune.add_argument("--preset", default="default", help="preset the search overrides")
    tune.add_argument("--seed", type=int, default=0, help="tuner, weights and data seed")
    tune.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2),
                      help="KerasTuner and fit verbosity (default: 1)")
    tune.add_argument("--in-process", action="store_true",
                      help="run all trials in this process (faster start; memory grows "
                      "by each trial's traced graphs)")
    tune.set_defaults(func=_cmd_tune)
    return parser


def _quiet_logs():
    """TensorFlow's Python warnings (e.g. tf.function retracing notes) and
    absl's are for `--verbose`; errors still show."""
    import logging

    from absl import logging as absl_logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    absl_logging.set_verbosity(absl_logging.ERROR)


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.show_logs:
        os.environ["AEZOO_VERBOSE"] = "1"  # for the trial processes of `tune`
    else:
        _quiet_logs()
    try:
        return args.func(args) or 0
    except (ValueError, FileNotFoundError) as error:
        # Bad names, values, recipes and missing data: a message, no traceback.
        print(f"aezoo: error: {error}", file=sys.stderr)
        return 2
    except TypeError as error:
        from aezoo.artifact.loading import unknown_class_message

        message = unknown_class_message(error)
        if message is None:
            raise
        print(f"aezoo: error: {message}", file=sys.stderr)
        return 2
    except _allocation_errors() as error:
        # Checkpoints and artifacts are renamed into place only once whole.
        print(f"aezoo: error: out of memory or disk space ({_first_line(error)}); "
              f"choose smaller sizes (model_overrides, data.batch_size) or free some, "
              f"then rerun: what was saved before is kept.", file=sys.stderr)
        return 2
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        print(f"aezoo: error: disk full ({_first_line(error)}); free some space and "
              f"rerun the same command: what was saved before is kept.", file=sys.stderr)
        return 2


def _allocation_errors():
    """MemoryError, and TensorFlow's ResourceExhaustedError (out of memory,
    or ENOSPC in its file system) once TensorFlow is imported."""
    tensorflow = sys.modules.get("tensorflow")
    errors = getattr(tensorflow, "errors", None)
    exhausted = getattr(errors, "ResourceExhaustedError", None)
    return (MemoryError,) if exhausted is None else (MemoryError, exhausted)


def _first_line(error, limit=200):
    line = (str(error).strip().splitlines() or [""])[0]
    line = line if len(line) <= limit else line[:limit] + "..."
    return f"{type(error).__name__}: {line}" if line else type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
