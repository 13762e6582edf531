# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``semcom`` command: one subcommand per job (``semcom --help``).

Quiet by default: INFO lines of gr-semcom, warnings of GNU Radio; ``-v`` adds gr-semcom's debug
lines and GNU Radio's info lines. Progress bars appear only on a terminal.
"""
from __future__ import annotations

import argparse
import logging
import sys
import traceback

from .. import VERSION
from ..errors import InputError
from . import data, demo, evaluate, features, link, loopback, programs, sweep, train


DOCS = "docs/ of the source, installed in <prefix>/share/doc/gr-semcom"


def version_line() -> str:
    """``semcom --version``: the version, where this copy of the package lives, its PyTorch and that
    PyTorch's BLAS, with a warning where the BLAS is the slow reference one."""
    import os

    from .. import _site
    from ..nn import runtime
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        import torch
    except ImportError:
        return f"gr-semcom {VERSION} (package {package}; PyTorch not found: docs/install.md)"
    name, optimised = runtime.blas()
    where = os.path.dirname(os.path.dirname(torch.__file__))
    own = _site.dependencies_dir() and where == _site.dependencies_dir()
    line = (f"gr-semcom {VERSION} (package {package}; PyTorch {torch.__version__} from {where} "
            f"{'(installed for gr-semcom)' if own else '(the system)'}; BLAS: {name})")
    return line + runtime.blas_warning(optimised)


class VersionAction(argparse.Action):
    """``--version``: looks PyTorch and its BLAS up only when asked, not at every command's start."""

    def __call__(self, parser, namespace, values, option_string=None):
        print(version_line())
        parser.exit()


def quiet_gnuradio(verbose: bool) -> None:
    """GNU Radio's default logger level for blocks made from here on: warnings, or info with -v."""
    from gnuradio import gr
    gr.logging().set_default_level(gr.log_levels.info if verbose else gr.log_levels.warn)


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="semcom", description="gr-semcom, pilot-guided multimodal semantic "
                                     "communication for GNU Radio: one subcommand per job.\nDocumentation: "
                                     f"{DOCS}.", formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="debug logging, and GNU Radio's info messages (default: its warnings only)")
    parser.add_argument("--version", action=VersionAction, nargs=0,
                        help="the version, this copy's folder, its PyTorch and that PyTorch's BLAS")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    data.add_parser(commands)
    features.add_parser(commands)
    link.add_parser(commands)
    train.add_parser(commands)
    evaluate.add_parser(commands)
    sweep.add_parser(commands)
    demo.add_parser(commands)
    programs.add_parsers(commands)
    loopback.add_parser(commands)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    quiet_gnuradio(args.verbose)
    log = logging.getLogger("semcom")
    try:
        return args.run(args)
    except InputError as exc:      # bad input: say what is wrong, no traceback
        log.error("%s", exc)
        return 2
    except OSError as exc:
        if exc.filename is None:
            raise
        log.error("%s: %s", exc.filename, exc.strerror)   # a file or folder that cannot be read or written
        return 2
    except KeyboardInterrupt:
        log.error("interrupted")
        return 130
    except Exception:              # noqa: BLE001  (anything else is a bug: show where, ask for a report)
        traceback.print_exc()
        log.error("this is not a problem with your input but an error in gr-semcom (%s); please report it "
                  "with the command line and the traceback above", version_line())
        return 1


if __name__ == "__main__":
    sys.exit(main())
