"""``semcom train``: train the semantic system through the channel twin and export a model directory.

With several GPUs (or CPU processes): ``torchrun --nproc_per_node N $(which semcom) train ...``.
"""
from __future__ import annotations

import argparse
import logging

log = logging.getLogger("semcom.train")


def add_parser(commands) -> None:
    p = commands.add_parser("train", help="train transmitters and receiver end to end, export TorchScript",
                            description=__doc__.split(": ", 1)[1],
                            formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data", required=True, help="AVE-format dataset folder (real or `semcom data synth`)")
    p.add_argument("--out", required=True, help="model directory to write (manifest.json, *.pt, checkpoints)")
    p.add_argument("--modality", choices=("av", "a", "v"), default="av", help="multimodal, audio-only, video-only")
    p.add_argument("--channels", nargs="+", choices=("awgn", "rayleigh", "rician"),
                   default=["awgn", "rayleigh", "rician"], help="channels drawn per batch")
    p.add_argument("--csi", choices=("estimated", "perfect", "none", "error_free"), default="estimated")
    p.add_argument("--estimator", choices=("min_residual", "joint", "lmmse"), default="min_residual")
    p.add_argument("--pilot", choices=("zadoff_chu", "neural"), default="zadoff_chu",
                   help="pilots: Zadoff-Chu, or the neural pilot encoder (Fig. 4) trained with the system")
    p.add_argument("--symbols", type=int, default=64, help="complex channel symbols per segment and user")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--lr-step", type=int, default=10, help="epochs between learning-rate drops")
    p.add_argument("--lr-gamma", type=float, default=0.1, help="learning-rate factor at each drop")
    p.add_argument("--beta", type=float, default=0.1, help="weight of the audio-visual similarity loss (eq. 18)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, help="use only the first N videos of each split")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--transmitters-from", metavar="DIR",
                   help="keep the transmitters of an earlier run fixed and train only the receiver "
                   "(the paper's Table I: --csi none with the estimated-CSI transmitters)")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..train.trainer import TrainConfig
    if args.epochs < 1 or args.batch_size < 1 or args.symbols < 1:
        raise ValueError("--epochs, --batch-size and --symbols must be >= 1")
    config = TrainConfig(data=args.data, out=args.out, modality=args.modality, channels=args.channels, csi=args.csi,
                         estimator=args.estimator, pilot=args.pilot, symbols=args.symbols, epochs=args.epochs,
                         batch_size=args.batch_size, lr=args.lr, lr_step=args.lr_step, lr_gamma=args.lr_gamma,
                         beta=args.beta, device=args.device, seed=args.seed, limit=args.limit,
                         transmitters_from=args.transmitters_from)
    train_and_export(config, args.resume)
    return 0


def train_and_export(config, resume: bool = False, test_snrs=None) -> dict | None:
    """Train (or resume), export the model directory and print test accuracy per SNR (``test_snrs``,
    default the training grid); returns the metrics (None on ranks other than 0 of a torchrun job)."""
    from ..train.trainer import Trainer
    trainer = Trainer(config)
    if not trainer.is_main:
        logging.getLogger("semcom").setLevel(logging.WARNING)
    log.info("training %s on %s (%d/%d/%d videos), channels %s, CSI %s, on %s", config.modality, config.data,
             *(len(trainer.splits[s].labels) for s in ("train", "val", "test")), ", ".join(config.channels),
             config.csi, trainer.device)
    if resume:
        trainer.resume()
    metrics = trainer.fit()
    if not trainer.is_main:
        return None
    metrics["processes"] = trainer.world
    metrics["test_accuracy"] = table = trainer.test_table() if test_snrs is None else trainer.test_table(test_snrs)
    manifest = trainer.export(metrics)
    print(f"{'SNR dB':>7} " + " ".join(f"{ch:>9}" for ch in table))
    for snr in next(iter(table.values())):
        print(f"{snr:>7} " + " ".join(f"{table[ch][snr]:9.4f}" for ch in table))
    log.info("wrote %s", manifest)
    return metrics
