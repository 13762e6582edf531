# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parts of the subcommands' parsers that several commands share: the parser itself (help line,
description from the module's docstring, defaults shown) and the model, dataset and split options."""
from __future__ import annotations

import argparse

from ..user_data import demo_data, demo_model

SPLITS = ("train", "val", "test")
DATA_HELP = "AVE-format dataset folder"


def add_command(commands, name: str, help_text: str, doc: str, **kwargs) -> argparse.ArgumentParser:
    """The parser of subcommand ``name``: ``help_text`` for ``semcom --help``; as its description, its
    module's docstring ``doc`` after the first ": " (past "``semcom NAME``"); defaults shown."""
    kwargs.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
    return commands.add_parser(name, help=help_text, description=doc.split(": ", 1)[1], **kwargs)


def add_model(p, help_text: str) -> None:
    """--model: a model directory, by default the demo's multimodal one."""
    p.add_argument("--model", default=demo_model(), help=help_text)


def add_data(p, help_text: str = DATA_HELP, default: str | None = None, split: bool = True) -> None:
    """--data (a dataset folder, by default the demo's) and, with ``split``, --split (the test split by default)."""
    p.add_argument("--data", default=demo_data() if default is None else default, help=help_text)
    if split:
        add_split(p)


def add_split(p) -> None:
    """--split: which split of the dataset, the test split by default."""
    p.add_argument("--split", choices=SPLITS, default="test")


def add_device(p, flag: str = "--device") -> None:
    """The PyTorch device option (``flag``) of the commands that run the networks."""
    from ..nn.runtime import DEVICES
    p.add_argument(flag, choices=DEVICES, default="auto",
                   help="where the networks run: auto = the GPU where PyTorch sees one (CUDA), else the CPU")


def add_torch_options(p, threads_help: str = "PyTorch threads (0: PyTorch's default)") -> None:
    """--torch-threads and --torch-device of the commands that run the neural blocks (--device is a radio's)."""
    p.add_argument("--torch-threads", type=int, default=0, help=threads_help)
    add_device(p, "--torch-device")
