# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""``semcom train``: train the semantic system through the channel twin and export a model directory.

The defaults are the paper's setup (Adam at 3e-4, ×0.1 every 10 epochs, batch 64, λ = 100, τ₁ = 0.099)
with the receiver and AGVA as published for PSP and AVEL; --agva, --visual-norm, --psp-projection,
--psp-output, --classifier and --similarity select the documented alternatives.
With several GPUs (or CPU processes): ``semcom train --processes N ...`` starts N processes on this
machine with torchrun's environment (rank, world size, a rendezvous on 127.0.0.1), each taking its
share of every batch (DistributedDataParallel); under an external torchrun, leave --processes out.
"""
from __future__ import annotations

import logging
import math
import os
import subprocess
import sys
from ..modes import FADING_MODES, TRAIN_CSI_MODES
from ..errors import InputError
from ..nn.runtime import PRECISIONS
from .options import add_command, add_data, add_device

log = logging.getLogger("semcom.train")


def add_parser(commands) -> None:
    p = add_command(commands, "train", "train transmitters and receiver end to end, export TorchScript", __doc__)
    add_data(p, "AVE-format dataset folder (real or `semcom data synth`)", split=False)
    p.add_argument("--out", required=True, help="model directory to write (manifest.json, *.pt, checkpoints)")
    p.add_argument("--modality", choices=("av", "a", "v"), default="av", help="multimodal, audio-only, video-only")
    p.add_argument("--channels", nargs="+", choices=("awgn", "rayleigh", "rician"),
                   default=["awgn", "rayleigh", "rician"], help="channels drawn per batch")
    p.add_argument("--csi", choices=TRAIN_CSI_MODES, default="estimated",
                   help="CSI mode of the uplink in training; none_retrained, Table I as the paper ran it: the "
                   "receiver learns from the raw antenna signals, the transmitters of --transmitters-from kept "
                   "(the diagnostic without retraining needs no training: evaluate an estimated-CSI model "
                   "with --csi none_no_retraining)")
    p.add_argument("--estimator", choices=("min_residual", "joint", "lmmse"), default="min_residual")
    p.add_argument("--fading", choices=FADING_MODES, default="burst",
                   help="the channel twin's fading: one draw per burst, as the GNU Radio blocks do, or (an "
                   "experiment of the twin only) one per one-second segment, each segment detected with the LS "
                   "estimate of its own pilot step")
    p.add_argument("--pilot", choices=("zadoff_chu", "neural"), default="zadoff_chu",
                   help="pilots: Zadoff-Chu, or the neural pilot encoder (Fig. 4) trained with the system")
    p.add_argument("--symbols", type=int, default=64, help="complex channel symbols per segment and user")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--lr-step", type=int, default=10, help="epochs between learning-rate drops")
    p.add_argument("--lr-gamma", type=float, default=0.1, help="learning-rate factor at each drop")
    p.add_argument("--lambda", "--beta", dest="beta", type=float, default=100.0,
                   help="λ, weight of the audio-visual similarity loss (eq. 18; the paper's 100)")
    p.add_argument("--similarity", choices=("psp", "paper"), default="psp",
                   help="similarity loss (eq. 17): psp = ReLU(cos) and the target both normalised over the "
                   "segments, as published; paper = MSE(cos, G) with G in {0, 1}")
    p.add_argument("--tau", type=float, default=0.099, help="PSP threshold τ₁ (eq. 12-13)")
    p.add_argument("--agva", choices=("per_cell", "per_feature"), default="per_cell",
                   help="AGVA's audio term added per spatial cell (AVEL/PSP) or per hidden feature (the layout of "
                   "models without an architecture in their manifest)")
    p.add_argument("--visual-norm", action="store_true",
                   help="LayerNorm on each visual cell before AGVA (not in AVEL/PSP)")
    p.add_argument("--psp-projection", choices=("relu_dropout", "linear"), default="relu_dropout",
                   help="PSP's four projections: Linear+ReLU+Dropout (published) or linear (the equations)")
    p.add_argument("--psp-output", choices=("fc_layernorm", "none"), default="fc_layernorm",
                   help="after propagation: per-stream Linear+ReLU+Dropout and a shared LayerNorm (published), "
                   "or nothing (models without an architecture in their manifest)")
    p.add_argument("--visual-encoder", choices=("conv_bn", "conv"), default="conv_bn",
                   help="first block of the visual channel encoder: Conv1d + BatchNorm + ReLU, which keeps its ReLUs "
                   "alive on non-negative VGG-19 features, or Conv1d + ReLU (models without an architecture in "
                   "their manifest)")
    p.add_argument("--classifier", choices=("psp", "wide"), default="psp",
                   help="256-64-29 without biases (published) or 256-256-29 with biases (models without an "
                   "architecture in their manifest)")
    p.add_argument("--envelope", choices=("free", "constant"), default="free",
                   help="symbols as the Euler map makes them (the paper) or scaled to unit modulus in the "
                   "transmitters, so that only their phases carry information (an experiment on Table I)")
    p.add_argument("--receiver-span", choices=("burst", "segment"), default="burst",
                   help="the receiver network decodes the 10 segments of a video together (PSP, the paper) or "
                   "each segment on its own (an experiment on Table I)")
    p.add_argument("--processes", type=int, default=1,
                   help="training processes on this machine (DistributedDataParallel; one per GPU)")
    add_device(p)
    p.add_argument("--precision", default="float32", choices=PRECISIONS,
                   help="bfloat16: mixed precision, the networks' matrix products in bfloat16 (autocast), the weights, "
                   "channel twin and loss in float32; fast on a GPU and on CPUs with AMX or AVX-512 BF16")
    p.add_argument("--threads", type=int,
                   help="PyTorch's CPU threads (default on the CPU: with --precision bfloat16 every CPU this "
                   "process may use; in float32 one where PyTorch calls the system's BLAS, which then uses the "
                   "cores, as Debian's does; else PyTorch's default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, help="use only the first N videos of each split")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--transmitters-from", metavar="DIR",
                   help="keep the transmitters of an earlier run fixed and train only the receiver "
                   "(Table I as the paper ran it: --csi none_retrained with the estimated-CSI transmitters)")
    p.set_defaults(run=run)


def launch_processes(processes: int) -> int:
    """Run this same ``semcom train`` command in ``processes`` processes on this machine, each told its
    rank as torchrun tells it (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``/``MASTER_PORT`` for
    torch.distributed's env:// rendezvous on 127.0.0.1), with the package (and a pip-installed PyTorch)
    on their path. Started here rather than by torch.distributed.run, whose option parsing fails on
    Debian 12 (PyTorch 1.13 under Python 3.11). One process failing stops the others."""
    import socket
    import time
    from .. import _site
    argv, rest = sys.argv[1:], []
    while argv:
        word = argv.pop(0)
        if word == "--processes":
            argv.pop(0)
        elif not word.startswith("--processes="):
            rest.append(word)
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(_site.__file__))))
    paths = [package_root, _site.dependencies_dir(), os.environ.get("PYTHONPATH", "")]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # USE_LIBUV=0: PyTorch 2.4 and later ask for a libuv TCP store, which Debian's build does not have
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p), WORLD_SIZE=str(processes),
               LOCAL_WORLD_SIZE=str(processes), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), USE_LIBUV="0")
    command = [sys.executable, "-m", "gnuradio.semcom.cli.main", *rest]
    log.info("starting %d training processes (rendezvous 127.0.0.1:%d): %s", processes, port, " ".join(command))
    ranks = [subprocess.Popen(command, env=dict(env, RANK=str(r), LOCAL_RANK=str(r))) for r in range(processes)]
    try:
        while any(p.poll() is None for p in ranks):
            if any(p.returncode not in (None, 0) for p in ranks):
                break
            time.sleep(0.2)
    finally:
        for p in ranks:
            if p.poll() is None:
                p.terminate()
        for p in ranks:
            p.wait()
    return next((p.returncode for p in ranks if p.returncode != 0), 0)


def run(args) -> int:
    if args.processes < 1:
        raise InputError(f"--processes must be >= 1, got {args.processes}")
    if args.processes > 1 and "LOCAL_RANK" not in os.environ:
        return launch_processes(args.processes)
    from ..train.trainer import TrainConfig
    from ..nn.architecture import Architecture
    if args.epochs < 1 or args.batch_size < 1 or args.symbols < 1:
        raise InputError("--epochs, --batch-size and --symbols must be >= 1")
    if not 0.0 <= args.tau < 1.0:
        raise InputError(f"--tau must be in [0, 1), got {args.tau}")
    if not 0 <= args.beta < math.inf:
        raise InputError(f"--lambda must be a finite number >= 0, got {args.beta}")
    if not 0 < args.lr < math.inf or not 0 < args.lr_gamma <= 1 or args.lr_step < 1:
        raise InputError(f"--lr must be > 0, --lr-gamma in (0, 1] and --lr-step >= 1; got {args.lr}, "
                         f"{args.lr_gamma}, {args.lr_step}")
    if args.limit is not None and args.limit < 1:
        raise InputError(f"--limit must be >= 1 (videos per split), got {args.limit}")
    architecture = Architecture(agva=args.agva, visual_norm=args.visual_norm, psp_projection=args.psp_projection,
                                psp_output=args.psp_output, classifier=args.classifier, tau=args.tau,
                                visual_encoder=args.visual_encoder, envelope=args.envelope,
                                receiver_span=args.receiver_span)
    config = TrainConfig(data=args.data, out=args.out, modality=args.modality, channels=args.channels, csi=args.csi,
                         estimator=args.estimator, fading=args.fading, pilot=args.pilot, symbols=args.symbols,
                         epochs=args.epochs,
                         batch_size=args.batch_size, lr=args.lr, lr_step=args.lr_step, lr_gamma=args.lr_gamma,
                         beta=args.beta, similarity=args.similarity, architecture=architecture.to_dict(),
                         device=args.device, precision=args.precision, threads=args.threads, seed=args.seed,
                         limit=args.limit, transmitters_from=args.transmitters_from)
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
             config.csi, trainer.where())
    if resume and not trainer.resume():
        raise InputError(f"--resume: {trainer.checkpoint_path()} does not exist (no earlier run in {config.out} to "
                         "continue); leave out --resume to start afresh")
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
