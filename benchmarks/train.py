#!/usr/bin/env python3
# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seconds per training epoch, split by part, and the accuracy reached, for the training code before the
speed-ups and as it is, in one run.

Approaches (each in its own process, one after the other, so that process-wide settings stay apart):

- ``before``: the package at ``--before`` (a git revision, default the last commit before the training
  speed-ups), float32; its Python files are taken from git and run with this build's compiled parts;
- ``float32``: this tree, float32 (the default of ``semcom train``);
- ``bfloat16``: this tree, ``--precision bfloat16`` (mixed precision).

Each trains the multimodal system ``--epochs`` epochs from ``--seeds`` seeds (the spread over seeds is
the run-to-run noise) on ``--data`` (the default synthetic set: ``semcom data synth --out D``). An epoch's
parts, timed from outside the trainer so that both trees are measured alike (on a GPU after a CUDA
synchronisation):

- data: reading and converting the batches; audio tx, video tx, receiver: the networks' forward
  passes (video tx: the audio decoder, AGVA and the visual channel encoder); channel: the two channel
  twins (SISO link and uplink); loss; backward: every network's backward pass; optimiser: Adam;
  other: the rest of the epoch; validation: the accuracy on the validation split (3 channels).

Run from the build tree: PYTHONPATH=build/test_modules python3 benchmarks/train.py --data D
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

APPROACHES = ("before", "float32", "bfloat16")
BEFORE = "f160193"          # the last commit before the training speed-ups
PARTS = ("data", "audio tx", "channel", "video tx", "receiver", "loss", "backward", "optimiser", "other",
         "epoch", "validation")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="AVE-format dataset (semcom data synth --out D)")
    p.add_argument("--epochs", type=int, default=2, help="epochs per run (default 2)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0], help="training seeds (default 0)")
    p.add_argument("--approaches", nargs="+", choices=APPROACHES, default=list(APPROACHES))
    p.add_argument("--before", default=BEFORE, help=f"git revision of the 'before' approach (default {BEFORE})")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--limit", type=int, help="only the first N videos of each split (a quick look)")
    p.add_argument("--threads", type=int, help="PyTorch threads of the current tree's runs (semcom train "
                   "--threads; default its rule)")
    p.add_argument("--json", help="write the runs here as JSON")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(run_training(args.worker, args)))
        return 0
    runs = []
    with tempfile.TemporaryDirectory(prefix="semcom-bench-train-") as scratch:
        before_path = before_tree(args.before, scratch) if "before" in args.approaches else None
        for seed in args.seeds:
            for approach in args.approaches:
                runs.append(spawn(approach, seed, args, before_path))
                done = runs[-1]
                print(f"{approach} seed {seed}: {done['parts']['epoch']:.1f} s per epoch, validation accuracy "
                      f"{done['val_accuracy']:.4f}", file=sys.stderr, flush=True)
    print(table(runs, args))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(runs, f, indent=1)
    return 0


def before_tree(revision: str, scratch: str) -> str:
    """A PYTHONPATH folder holding gnuradio.semcom as of ``revision`` (its Python files from git) with this
    build's generated _site.py and compiled bindings."""
    import gnuradio.semcom as current
    here = os.path.dirname(os.path.abspath(current.__file__))
    root = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "rev-parse", "--show-toplevel"],
                          capture_output=True, text=True, check=True).stdout.strip()
    archive = subprocess.run(["git", "-C", root, "archive", revision, "python/semcom"], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", scratch], input=archive, check=True)
    package = os.path.join(scratch, "before", "gnuradio", "semcom")
    os.makedirs(os.path.dirname(package))
    os.rename(os.path.join(scratch, "python", "semcom"), package)
    for name in os.listdir(here):
        if name == "_site.py" or name.endswith(".so"):
            with open(os.path.join(here, name), "rb") as src, open(os.path.join(package, name), "wb") as dst:
                dst.write(src.read())
    return os.path.join(scratch, "before")


def spawn(approach: str, seed: int, args, before_path: str | None) -> dict:
    env = dict(os.environ)
    if approach == "before":
        env["PYTHONPATH"] = os.pathsep.join(p for p in (before_path, env.get("PYTHONPATH")) if p)
    command = [sys.executable, os.path.abspath(__file__), "--worker", approach, "--data", args.data,
               "--epochs", str(args.epochs), "--seeds", str(seed), "--device", args.device]
    if args.limit:
        command += ["--limit", str(args.limit)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{approach} seed {seed} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class Clock:
    """Seconds per part, counted only while ``active``; on CUDA each reading waits for the GPU."""

    def __init__(self, cuda: bool):
        import torch
        self.sync = torch.cuda.synchronize if cuda else (lambda: None)
        self.seconds, self.active = {}, False

    def now(self) -> float:
        self.sync()
        return time.perf_counter()

    def wrap(self, part: str, function):
        def timed(*a, **k):
            if not self.active:
                return function(*a, **k)
            start = self.now()
            try:
                return function(*a, **k)
            finally:
                self.seconds[part] = self.seconds.get(part, 0.0) + self.now() - start
        return timed

    def wrap_batches(self, generator):
        iterator = iter(generator)
        while True:
            start = self.now()
            try:
                item = next(iterator)
            except StopIteration:
                return
            self.seconds["data"] = self.seconds.get("data", 0.0) + self.now() - start
            yield item


def run_training(approach: str, args) -> dict:
    """One training run in this process, timed by part (the worker's side)."""
    import dataclasses

    import torch
    from gnuradio.semcom.train import trainer as trainer_module
    from gnuradio.semcom.train.trainer import Trainer, TrainConfig

    options = dict(data=args.data, out=tempfile.mkdtemp(prefix="semcom-bench-train-run-"), epochs=args.epochs,
                   seed=args.seeds[0], device=args.device, limit=args.limit)
    if approach == "bfloat16":
        options["precision"] = "bfloat16"
    if approach != "before":
        options["threads"] = args.threads
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    trainer = Trainer(TrainConfig(**{k: v for k, v in options.items() if k in known}))
    clock = Clock(trainer.device.type == "cuda")
    model = trainer.model
    model.audio_tx.forward = clock.wrap("audio tx", model.audio_tx.forward)
    model.video_tx.encode_visual = clock.wrap("video tx", model.video_tx.encode_visual)
    model.video_tx.encode_with_audio = clock.wrap("video tx", model.video_tx.encode_with_audio)
    model.receiver.forward = clock.wrap("receiver", model.receiver.forward)
    twins = trainer.twins
    trainer.twins = lambda *a, **k: tuple(clock.wrap("channel", twin) for twin in twins(*a, **k))
    batches = trainer.local_batches
    trainer.local_batches = lambda *a, **k: clock.wrap_batches(batches(*a, **k))
    trainer_module.semantic_loss = clock.wrap("loss", trainer_module.semantic_loss)
    trainer.optimiser.step = clock.wrap("optimiser", trainer.optimiser.step)
    torch.Tensor.backward = clock.wrap("backward", torch.Tensor.backward)
    epochs, validations, accuracy = [], [], None
    for _ in range(args.epochs):
        clock.active = True
        start = clock.now()
        trainer.train_epoch()
        epochs.append(clock.now() - start)
        clock.active = False
        start = clock.now()
        accuracy = trainer.validate()
        validations.append(clock.now() - start)
    parts = {k: v / args.epochs for k, v in clock.seconds.items()}
    parts["epoch"] = sum(epochs) / args.epochs
    parts["other"] = parts["epoch"] - sum(v for k, v in parts.items() if k != "epoch")
    parts["validation"] = sum(validations) / args.epochs
    return {"approach": approach, "seed": args.seeds[0], "epochs": args.epochs, "val_accuracy": accuracy,
            "parts": parts, "device": str(trainer.device), "threads": torch.get_num_threads(),
            "train_videos": len(trainer.splits["train"].labels), "pytorch": torch.__version__}


def table(runs: list, args) -> str:
    import numpy as np
    approaches = [a for a in APPROACHES if any(r["approach"] == a for r in runs)]
    mean = {a: {part: float(np.mean([r["parts"].get(part, 0.0) for r in runs if r["approach"] == a]))
                for part in PARTS} for a in approaches}
    first = runs[0]
    lines = [f"Training epoch by part, seconds (multimodal, {first['train_videos']} training videos, batch 64, "
             f"{args.epochs} epochs x {len(args.seeds)} seeds, {first['device']}, PyTorch {first['pytorch']}; "
             f"before = {args.before})",
             f"{'part':<11}" + "".join(f"{a:>10}" for a in approaches)
             + ("".join(f"{'before/' + a:>16}" for a in approaches if a != "before") if "before" in approaches
                else "")]
    for part in PARTS:
        row = f"{part:<11}" + "".join(f"{mean[a][part]:10.2f}" for a in approaches)
        if "before" in approaches:
            row += "".join(f"{mean['before'][part] / mean[a][part] if mean[a][part] > 0 else float('nan'):16.2f}"
                           for a in approaches if a != "before")
        lines.append(row)
    lines.append(f"{'threads':<11}" + "".join(f"{next(r['threads'] for r in runs if r['approach'] == a):10d}"
                                                for a in approaches))
    lines.append("")
    lines.append(f"Validation accuracy after {args.epochs} epochs (mean over seeds, and each seed)")
    for a in approaches:
        values = [r["val_accuracy"] for r in runs if r["approach"] == a]
        lines.append(f"{a:<11}{np.mean(values):10.4f}   " + " ".join(f"{v:.4f}" for v in values))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
