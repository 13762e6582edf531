# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""``semcom demo``: the whole pipeline on the embedded synthetic AVE, no downloads.

Writes a small synthetic AVE, trains the multimodal, audio-only and video-only systems briefly
through the channel twin (the differentiable copy of pilots, channel, LS and ZF; estimated CSI, all
three channels), then runs a reduced sweep of the trained systems through GNU Radio and prints the
accuracy table and the paths of the plots. Everything goes to one per-user folder,
$XDG_DATA_HOME/gr-semcom (~/.local/share/gr-semcom): data/, models/av, models/a, models/v and sweep/;
the examples and the commands' --data and --model use data/ and models/av there by default.
Training uses the paper's networks, loss and learning rate (Adam 3e-4, ×0.1 after 10 epochs,
λ = 100) with the schedule shortened to fit a few minutes: 12 epochs instead of the paper's 300, and
batches of 16 instead of 64 (more steps on the small set).
"""
from __future__ import annotations

import argparse
import logging
import os
import time
from ..errors import InputError
from ..user_data import data_home, examples_folder
from .options import add_command

log = logging.getLogger("semcom.demo")
class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    pass


SYSTEMS = {"multimodal": "av", "audio_only": "a", "video_only": "v"}


def add_parser(commands) -> None:
    p = add_command(commands, "demo", "synthetic AVE → brief training → GNU Radio sweep → table and plots", __doc__,
                    formatter_class=HelpFormatter)
    p.add_argument("--out", default=data_home(), help="folder for data/, models/ and sweep/ (the examples and the "
                   "commands look in the default one)")
    p.add_argument("--videos", type=int, default=800, help="videos in the synthetic AVE")
    p.add_argument("--epochs", type=int, default=12, help="training epochs per system")
    p.add_argument("--snr", type=float, nargs="+", default=[0, 10, 20, 30], metavar="DB", help="sweep SNRs")
    p.add_argument("--jobs", type=int, default=2, help="flowgraphs in parallel during the sweep")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=run)


def run(args) -> int:
    from ..data.synth import DEFAULT_PRESET, synth_config, write_synthetic
    from ..eval.sweep import plan, run_sweep
    from ..phy.channels import CHANNELS
    from ..train.trainer import TrainConfig
    from ..eval.report import publish
    from .sweep import RUNS_FILE
    from .train import train_and_export
    from ..modes import check_snr_db
    if args.videos < 30 or args.epochs < 1 or args.jobs < 1:
        raise InputError("--videos must be >= 30, --epochs and --jobs >= 1")
    for snr in args.snr:                 # before any data is written or system trained
        check_snr_db(snr, "--snr")
    start = time.perf_counter()
    data, models, sweep_dir = (os.path.join(args.out, x) for x in ("data", "models", "sweep"))
    log.info("stage 1/3: writing a synthetic AVE of %d videos (%s preset) to %s", args.videos, DEFAULT_PRESET, data)
    write_synthetic(data, synth_config(videos=args.videos, seed=args.seed))
    systems = {}
    for i, (name, modality) in enumerate(SYSTEMS.items()):
        log.info("stage 2/3: training the %s system (%d/%d): the paper's setup shortened to %d epochs of batches "
                 "of 16, estimated CSI, channels %s", name, i + 1, len(SYSTEMS), args.epochs, ", ".join(CHANNELS))
        systems[name] = os.path.join(models, modality)
        train_and_export(TrainConfig(data=data, out=systems[name], modality=modality, channels=list(CHANNELS),
                                     csi="estimated", epochs=args.epochs, batch_size=16, lr=3e-4,
                                     lr_step=10, seed=args.seed), test_snrs=args.snr)
    jobs = plan(systems, CHANNELS, args.snr, ["estimated", "perfect", "error_free"])
    log.info("stage 3/3: %d GNU Radio runs (systems × channels × SNRs × CSI) on the test split, %d at a time",
             len(jobs), args.jobs)
    os.makedirs(sweep_dir, exist_ok=True)
    runs = os.path.join(sweep_dir, RUNS_FILE)
    if os.path.exists(runs):
        os.remove(runs)          # fresh models: earlier runs do not apply
    common = dict(data=data, split="test", videos=0, estimator="min_residual", rician_k=4.0, seed=args.seed + 1,
                  torch_threads=1 if args.jobs > 1 else 0, check_data=False)
    rows = run_sweep(jobs, runs, common, args.jobs)
    publish(rows, sweep_dir, args.jobs)
    log.info("demo done in %.0f s", time.perf_counter() - start)
    print(f"\nThe demo's data, models and results are in {args.out}:\n  data:    {data}\n  models:  "
          + "\n           ".join(systems.values()) + f"\n  results: {sweep_dir}")
    if os.path.abspath(args.out) == os.path.abspath(data_home()):
        examples = examples_folder() or "examples/ in the source tree"
        print(f"The examples (GNU Radio Companion: File > Open, {examples}) and the commands' --data and --model "
              "use these by default.")
    else:
        print(f"The examples and commands look in {data_home()} by default: give them --data {data} and "
              f"--model {systems['multimodal']}.")
    return 0
