"""The ``semcom`` command: one subcommand per job (``semcom --help``)."""
from __future__ import annotations

import argparse
import logging
import sys

from . import data, demo, evaluate, features, link, loopback, sweep, terminals, train


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="semcom", description=__doc__.split("\n")[0] + " of gr-semcom, "
                                     "pilot-guided multimodal semantic communication for GNU Radio.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    data.add_parser(commands)
    features.add_parser(commands)
    link.add_parser(commands)
    train.add_parser(commands)
    evaluate.add_parser(commands)
    sweep.add_parser(commands)
    demo.add_parser(commands)
    terminals.add_parsers(commands)
    loopback.add_parser(commands)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    try:
        return args.run(args)
    except ValueError as exc:   # bad parameters: say what is wrong, no traceback
        logging.getLogger("semcom").error("%s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
