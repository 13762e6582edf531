# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-user folder where ``semcom demo`` writes its data and models, and where the examples and
the ``semcom`` commands look for them when no folder is given.

``$XDG_DATA_HOME/gr-semcom``, i.e. ``~/.local/share/gr-semcom`` by default (the XDG base directory
rule: an unset, empty or relative ``XDG_DATA_HOME`` means ``~/.local/share``). Resolved when asked,
so a flowgraph compiled by one user and run by another looks in the runner's folder.

    data/           the synthetic AVE (``semcom data synth`` layout)
    models/av       the multimodal system; models/a, models/v: audio-only, video-only
    sweep/          the demo's sweep: results.csv/json, accuracy_<channel>.png, table_I.csv
"""
from __future__ import annotations

import os

from .errors import InputError

MODALITIES = ("av", "a", "v")                # models/<modality>


def data_home() -> str:
    """``$XDG_DATA_HOME/gr-semcom`` (``~/.local/share/gr-semcom`` by default)."""
    base = os.environ.get("XDG_DATA_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "gr-semcom")


def demo_data() -> str:
    """The demo's dataset folder."""
    return os.path.join(data_home(), "data")


def demo_model(modality: str = "av") -> str:
    """The demo's model directory of ``modality`` ('av', 'a' or 'v')."""
    if modality not in MODALITIES:
        raise InputError(f"modality must be one of {', '.join(MODALITIES)}, got {modality!r}")
    return os.path.join(data_home(), "models", modality)


def examples_folder() -> str:
    """The installed examples (PREFIX/share/gr-semcom/examples, found above this package), '' when this
    package is not an installed one."""
    folder = os.path.dirname(os.path.abspath(__file__))
    for _ in range(6):
        folder = os.path.dirname(folder)
        examples = os.path.join(folder, "share", "gr-semcom", "examples")
        if os.path.isdir(examples):
            return examples
    return ""


def model_folder(given: str = "", modality: str = "av") -> str:
    """``given``, or the demo's model directory where it is empty (the examples' Parameter blocks)."""
    return os.path.expanduser(given) if given else demo_model(modality)


def data_folder(given: str = "") -> str:
    """``given``, or the demo's dataset folder where it is empty."""
    return os.path.expanduser(given) if given else demo_data()


def missing_inputs(model: str = "", data: str = "", program: str = "this flowgraph") -> str:
    """One line saying what is missing and what to run, or '' when the model directory ``model`` has
    its manifest and network files and the dataset folder ``data`` the files of its test split, which
    the examples run ('' skips that check;
    the blocks check the contents when they load them). For a flowgraph's start:
    ``raise SystemExit(line)`` ends it with that line and no traceback."""
    from .data.ave import split_files
    from .nn.model_dir import open_model_dir
    problems, options = [], []
    if model:
        try:
            open_model_dir(model)
        except InputError as error:
            problems.append(f"model: {error}")
            options.append("--model")
    if data:
        absent = [os.path.basename(f) for f in split_files(data, "test") if not os.path.isfile(f)]
        if absent:
            problems.append(f"data: {data} has no {', '.join(absent)}" if os.path.isdir(data)
                            else f"data: {data} does not exist")
            options.append("--data")
    if not problems:
        return ""
    return (f"{program}: {'; '.join(problems)}. Run `semcom demo` once (it writes its data and models to "
            f"{data_home()}), or give {' and '.join(options)} (in GNU Radio Companion: the Parameter blocks)")
