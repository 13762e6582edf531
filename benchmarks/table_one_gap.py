#!/usr/bin/env python3
# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Table I's protocol through the channel twin, and what changes its answer.

The paper's Table I (§IV-D3) keeps the transmitters of the system trained with channel estimation,
retrains the receiver on the raw antenna signals (``--csi none_retrained``) and reports the relative
drop in accuracy against the system with estimation. For each ``--fading`` (the twin's channel: one
draw per burst, as the GNU Radio blocks, or one per one-second segment) this script

1. trains the multimodal system with estimated CSI (``semcom train``),
2. retrains its receiver without estimation (``semcom train --csi none_retrained --transmitters-from``),
3. prints, per channel and SNR, the test accuracy with estimation, without it (retrained), the
   diagnostic without retraining, and the drop 1 − retrained / estimated.

Every training uses the paper's optimiser for ``--epochs`` (the retrained receiver for
``--retrain-epochs``: the training length is one of the things to vary), all three channels, the same
seed. ``--envelope constant`` trains transmitters whose symbols all have unit modulus, which takes the
class information out of each user's symbol powers; ``--receiver-span segment`` trains both systems
with a receiver that decodes each segment on its own, so that it cannot use the whole burst's
statistics. The models stay in ``--out`` as model directories (``semcom sweep --system
NAME=OUT/burst/estimated``); a later run with the same ``--out`` reuses the trainings it finds
finished there (``--restart`` trains again).

    PYTHONPATH=build/test_modules python3 benchmarks/table_one_gap.py --data D --out gap
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys


def train(data: str, out: str, args, fading: str, csi: str, epochs: int, transmitters_from: str | None = None):
    """A finished Trainer for one run (its best epoch loaded), exported as a model directory; reuses a
    finished run in ``out``."""
    import torch
    from gnuradio.semcom.nn.architecture import Architecture
    from gnuradio.semcom.train.trainer import TrainConfig, Trainer
    config = TrainConfig(data=data, out=out, modality="av", csi=csi, fading=fading, epochs=epochs,
                         architecture=Architecture(envelope=args.envelope, receiver_span=args.receiver_span).to_dict(),
                         precision=args.precision, threads=args.threads, seed=args.seed, device=args.device,
                         limit=args.limit,
                         transmitters_from=transmitters_from)
    trainer = Trainer(config)
    done = os.path.join(out, "finished.json")
    if os.path.isfile(done) and not args.restart:
        trainer.model.load_state_dict(torch.load(os.path.join(out, "best_model.pt"), map_location=trainer.device))
        logging.info("reusing %s", out)
        return trainer
    trainer.export(trainer.fit())
    with open(done, "w") as f:
        json.dump({"epochs": epochs, "fading": fading, "csi": csi, "envelope": args.envelope,
                   "receiver_span": args.receiver_span}, f)
    return trainer


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="AVE-format dataset (semcom data synth --out D)")
    p.add_argument("--out", required=True, help="folder for the trained models")
    p.add_argument("--fading", nargs="+", choices=("burst", "segment"), default=["burst", "segment"])
    p.add_argument("--channels", nargs="+", choices=("awgn", "rayleigh", "rician"), default=["rayleigh", "rician"])
    p.add_argument("--snr", type=float, nargs="+", default=[0.0, 6.0, 12.0, 18.0, 24.0, 30.0], metavar="DB")
    p.add_argument("--epochs", type=int, default=15, help="epochs of every training (default 15)")
    p.add_argument("--retrain-epochs", type=int, help="epochs of the retrained receiver (default: --epochs)")
    p.add_argument("--envelope", choices=("free", "constant"), default="free",
                   help="the transmitters' symbols: as the Euler map makes them (the paper) or of unit modulus")
    p.add_argument("--receiver-span", choices=("burst", "segment"), default="burst",
                   help="the receivers decode a video's 10 segments together (the paper) or each on its own")
    p.add_argument("--seeds", type=int, default=3, help="channel realisations averaged per point (default 3)")
    p.add_argument("--precision", choices=("float32", "bfloat16"), default="bfloat16")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, help="PyTorch threads (default: semcom train's rule)")
    p.add_argument("--seed", type=int, default=0, help="training seed")
    p.add_argument("--limit", type=int, help="only the first N videos of each split (a quick look)")
    p.add_argument("--restart", action="store_true", help="train again even where a finished run is in --out")
    p.add_argument("--json", help="write the table here")
    args = p.parse_args()
    args.retrain_epochs = args.retrain_epochs or args.epochs
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    import numpy as np
    rows = []
    for fading in args.fading:
        folder = os.path.join(args.out, fading)
        estimated = train(args.data, os.path.join(folder, "estimated"), args, fading, "estimated", args.epochs)
        retrained = train(args.data, os.path.join(folder, "retrained"), args, fading, "none_retrained",
                          args.retrain_epochs, transmitters_from=os.path.join(folder, "estimated"))
        points = [(ch, snr) for ch in args.channels for snr in args.snr]
        seeds = range(1, args.seeds + 1)

        def accuracy(trainer, csi):
            found = [trainer.accuracies("test", points, csi, seed) for seed in seeds]
            return np.mean(found, axis=0)
        with_estimation = accuracy(estimated, "estimated")
        diagnostic = accuracy(estimated, "none_no_retraining")
        without = accuracy(retrained, "none_retrained")
        for i, (channel, snr) in enumerate(points):
            rows.append({"fading": fading, "channel": channel, "snr_db": snr, "estimated": with_estimation[i],
                         "retrained": without[i], "not_retrained": diagnostic[i],
                         "drop": 1 - without[i] / with_estimation[i] if with_estimation[i] > 0 else float("nan")})
    print(f"\n{args.data}: {args.epochs} epochs (retrained receiver {args.retrain_epochs}), envelope "
          f"{args.envelope}, receiver span {args.receiver_span}, test split, {args.seeds} channel seeds per point")
    print(f"{'fading':<8} {'channel':<9} {'SNR dB':>6} {'estimated':>9} {'retrained':>9} {'drop':>7}"
          f" {'not retrained':>13}")
    for r in rows:
        print(f"{r['fading']:<8} {r['channel']:<9} {r['snr_db']:>6g} {r['estimated']:>9.4f} {r['retrained']:>9.4f}"
              f" {100 * r['drop']:>6.1f}% {r['not_retrained']:>13.4f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"data": args.data, "epochs": args.epochs, "retrain_epochs": args.retrain_epochs,
                       "envelope": args.envelope, "receiver_span": args.receiver_span, "precision": args.precision,
                       "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
