# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""``semcom data``: check an AVE-format dataset folder, or write the synthetic AVE."""
from __future__ import annotations

import argparse
import logging

from ..data.synth import DEFAULT_PRESET, PRESETS

log = logging.getLogger("semcom.data")


def add_parser(commands) -> None:
    data = commands.add_parser("data", help="AVE-format datasets: check a folder, write the synthetic AVE",
                               description=__doc__.split(": ", 1)[1])
    sub = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    check = sub.add_parser("check", help="validate a dataset folder and say precisely what is wrong",
                           description="Validate an AVE-format folder: files, dataset names, shapes, dtypes, "
                           "NaN/Inf, one-hot labels, order indices in range and disjoint.")
    check.add_argument("folder")
    check.set_defaults(run=run_check)
    synth = sub.add_parser("synth", help="write a synthetic AVE in the real layout",
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                           description="Write a synthetic AVE (same files as the real one) that needs both "
                           "modalities: see gnuradio.semcom.data.synth.")
    synth.add_argument("--out", required=True, help="folder to write")
    synth.add_argument("--videos", type=int, default=4143, help="number of videos (AVE has 4143)")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--annotations", help="AVE Annotations.txt: use its events (and the order files beside it)")
    synth.add_argument("--visual-dtype", choices=("float16", "float32"), default="float16",
                       help="storage type of visual_feature.h5")
    synth.add_argument("--preset", choices=PRESETS, default=DEFAULT_PRESET,
                       help="calibrated: the paper's networks reach about the accuracies published for the real "
                       "AVE features (docs/data-formats.md); easy: the generator before that calibration")
    synth.set_defaults(run=run_synth)


def run_check(args) -> int:
    from ..data.ave import check_dataset
    problems = check_dataset(args.folder)
    for problem in problems:
        log.error("%s", problem)
    if problems:
        return 1
    log.info("%s: OK", args.folder)
    return 0


def run_synth(args) -> int:
    from ..data.synth import synth_config, write_synthetic
    config = synth_config(args.preset, videos=args.videos, seed=args.seed, annotations=args.annotations,
                          visual_dtype=args.visual_dtype)
    sizes = write_synthetic(args.out, config)
    log.info("wrote %s (%s preset): %s videos (train/val/test)", args.out, args.preset,
             "/".join(str(sizes[s]) for s in ("train", "val", "test")))
    return 0
