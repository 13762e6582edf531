# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""``semcom sweep``: the paper's experiments through GNU Radio: accuracy vs SNR per channel, system and CSI mode."""
from __future__ import annotations

import argparse
import logging
import os
import re

from ..flowgraphs.payloads import LDPC_BACKENDS
from ..modes import CSI_MODES, SNR_GRID_DB
from ..phy.channels import CHANNELS
from ..phy.ls import ESTIMATOR_MODES
from ..errors import InputError
from .options import add_command, add_data, add_split, add_torch_options

log = logging.getLogger("semcom.sweep")
RUNS_FILE = "runs.jsonl"


def system_spec(text: str) -> tuple:
    match = re.fullmatch(r"([A-Za-z][\w-]*)=(.+)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected NAME=MODEL_DIR (e.g. multimodal=models/av), got {text!r}")
    return match.group(1), match.group(2)


def add_parser(commands) -> None:
    p = add_command(commands, "sweep", "accuracy vs SNR through the GNU Radio system (Fig. 6, Table I)", __doc__)
    add_data(p, split=False)
    p.add_argument("--system", type=system_spec, action="append", required=True, metavar="NAME=MODEL_DIR",
                   help="a system to run, e.g. multimodal=models/av, audio_only=models/a, video_only=models/v, "
                   "multimodal_retrained=models/av_retrained (a receiver retrained with --csi none_retrained, "
                   "Table I as the paper ran it, runs only csi none_retrained; Table I lists it beside "
                   "multimodal); repeat for each system")
    p.add_argument("--channels", nargs="+", choices=CHANNELS, default=list(CHANNELS))
    p.add_argument("--snr", type=float, nargs="+", default=list(SNR_GRID_DB), metavar="DB")
    p.add_argument("--csi", nargs="+", choices=CSI_MODES,
                   default=["estimated", "perfect", "none_retrained", "error_free"],
                   help="CSI modes (error_free runs once per channel). none_retrained: Table I as the paper "
                   "ran it, a receiver retrained for the raw antenna signals; none_no_retraining: a "
                   "diagnostic, the system trained with estimated CSI run without the estimation block")
    add_split(p)
    p.add_argument("--videos", type=int, default=0, help="first N videos of the split (0 = all)")
    p.add_argument("--estimator", choices=ESTIMATOR_MODES, default="min_residual")
    p.add_argument("--rician-k", type=float, default=4.0)
    p.add_argument("--seed", type=int, default=1, help="channel and noise seed of every run")
    p.add_argument("--jobs", type=int, default=1, help="flowgraphs run in parallel local processes")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run every flowgraph on the Dask distributed cluster whose scheduler is at ADDRESS "
                   "(e.g. tcp://10.0.0.1:8786) instead of locally: start it with `python3 -m dask scheduler` "
                   "and workers with `python3 -m dask worker ADDRESS --nthreads 1` (Debian's python3 with "
                   "gr-semcom installed, the data and model folders at the same paths); results, resume and "
                   "plots are written here as for a local sweep. Dask's TCP is unauthenticated: a private "
                   "network, or tls:// with certificates")
    p.add_argument("--scheduler-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="with --scheduler: how long to wait for the scheduler, and then for its first worker")
    p.add_argument("--ldpc-backend", choices=LDPC_BACKENDS, default="numpy",
                   help="the digital baseline's LDPC encoder and soft decoder: numpy = gr-fec's algorithms "
                   "vectorised over whole bursts (the same bits), gr-fec = its blocks, frame by frame (slower)")
    add_torch_options(p, "torch threads per flowgraph (0: torch's default, or 1 with --jobs > 1 or --scheduler)")
    p.add_argument("--out", default="results/sweep", help="folder for runs.jsonl, results.csv/json, PNGs, Table I")
    p.add_argument("--restart", action="store_true", help=f"discard OUT/{RUNS_FILE} instead of resuming it")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..data.ave import require_valid
    from ..eval.report import publish
    from ..eval.sweep import plan, run_sweep
    if args.jobs < 1 or args.videos < 0:
        raise InputError("--jobs must be >= 1 and --videos >= 0")
    if args.scheduler and args.jobs > 1:
        raise InputError("--jobs sets local processes; with --scheduler the cluster's workers run the flowgraphs")
    if args.scheduler_timeout <= 0:
        raise InputError("--scheduler-timeout must be > 0")
    systems = dict(args.system)
    if len(systems) != len(args.system):
        raise InputError("--system: each NAME must be given once")
    data = args.data
    if args.scheduler:        # the workers read the folders at the paths this client sees them
        data, systems = os.path.abspath(data), {name: os.path.abspath(folder) for name, folder in systems.items()}
    jobs = plan(systems, args.channels, args.snr, args.csi)      # checks models, channels, SNRs
    require_valid(data)
    os.makedirs(args.out, exist_ok=True)
    runs = os.path.join(args.out, RUNS_FILE)
    if args.restart and os.path.exists(runs):
        os.remove(runs)
    threads = args.torch_threads or (1 if args.jobs > 1 or args.scheduler else 0)
    common = dict(data=data, split=args.split, videos=args.videos, estimator=args.estimator,
                  rician_k=args.rician_k, seed=args.seed, torch_threads=threads, device=args.torch_device,
                  check_data=False, ldpc_backend=args.ldpc_backend)
    where = (f"the Dask cluster at {args.scheduler}" if args.scheduler else f"{args.jobs} process(es)") + \
        f", networks on --torch-device {args.torch_device}"
    log.info("%d runs (%s) on %s/%s, %s; results in %s", len(jobs), ", ".join(systems), data, args.split,
             where, runs)
    rows = run_sweep(jobs, runs, common, args.jobs, scheduler=args.scheduler, timeout=args.scheduler_timeout)
    publish(rows, args.out, args.scheduler or args.jobs)
    return 0

