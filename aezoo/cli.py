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
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except ValueError as error:
        print(f"aezoo: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
