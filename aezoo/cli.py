"""The `aezoo` command line: argument parsing only; the work is the Python API."""

import argparse
import json
import os
import sys

# TensorFlow's C++ start-up chatter is noise on a command line.
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
    )
    print(f"aezoo: {result.status}; run folder: {result.run_dir}")
    return 0 if result.status == "finished" else 1


def _cmd_evaluate(args):
    from aezoo.training.evaluate import evaluate_run

    metrics = evaluate_run(args.run_dir, split=args.split, max_batches=args.max_batches)
    width = max(len(key) for key in metrics)
    for key, value in metrics.items():
        print(f"{key:<{width}}  {value:.6g}" if isinstance(value, float) else f"{key:<{width}}  {value}")


def build_parser():
    parser = _Parser(
        prog="aezoo",
        description="Autoencoders and recurrent models for Keras 3, each built right.",
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
    train.set_defaults(func=_cmd_train)

    evaluate = commands.add_parser(
        "evaluate", help="metrics of a run folder's best checkpoint on a held-out split"
    )
    evaluate.add_argument("run_dir", metavar="DIR", help="a run folder made by `aezoo train`")
    evaluate.add_argument("--split", default="test", help="data split (default: test)")
    evaluate.add_argument("--max-batches", type=_positive_int, help="evaluate only N batches")
    evaluate.set_defaults(func=_cmd_evaluate)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except (ValueError, FileNotFoundError) as error:
        # Bad names, values, recipes and missing data: a message, no traceback.
        print(f"aezoo: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
