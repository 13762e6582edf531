# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""``semcom sweep``: the paper's experiments through GNU Radio: accuracy vs SNR per channel, system and CSI mode."""
from __future__ import annotations

import argparse
import json
import logging
import os
import re

from ..user_data import demo_data
from ..flowgraphs.links import LDPC_BACKENDS
from ..modes import CSI_MODES, SNR_GRID_DB
from ..phy.channels import CHANNELS
from ..phy.ls import ESTIMATOR_MODES
from ..errors import InputError

log = logging.getLogger("semcom.sweep")
RUNS_FILE = "runs.jsonl"


def system_spec(text: str) -> tuple:
    match = re.fullmatch(r"([A-Za-z][\w-]*)=(.+)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected NAME=MODEL_DIR (e.g. multimodal=models/av), got {text!r}")
    return match.group(1), match.group(2)


def add_parser(commands) -> None:
    p = commands.add_parser("sweep", help="accuracy vs SNR through the GNU Radio system (Fig. 6, Table I)",
                            description=__doc__.split(": ", 1)[1],
                            formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data", default=demo_data(), help="AVE-format dataset folder")
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
    p.add_argument("--split", choices=("train", "val", "test"), default="test")
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
    p.add_argument("--torch-threads", type=int, default=0,
                   help="torch threads per flowgraph (0: torch's default, or 1 with --jobs > 1 or --scheduler)")
    p.add_argument("--out", default="results/sweep", help="folder for runs.jsonl, results.csv/json, PNGs, Table I")
    p.add_argument("--restart", action="store_true", help=f"discard OUT/{RUNS_FILE} instead of resuming it")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..data.ave import require_valid
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
                  rician_k=args.rician_k, seed=args.seed, torch_threads=threads, check_data=False,
                  ldpc_backend=args.ldpc_backend)
    where = f"the Dask cluster at {args.scheduler}" if args.scheduler else f"{args.jobs} process(es)"
    log.info("%d runs (%s) on %s/%s, %s; results in %s", len(jobs), ", ".join(systems), data, args.split,
             where, runs)
    rows = run_sweep(jobs, runs, common, args.jobs, scheduler=args.scheduler, timeout=args.scheduler_timeout)
    publish(rows, args.out, args.scheduler or args.jobs)
    return 0


def publish(rows: list, out: str, jobs) -> dict:
    """Write results.csv/json, timing.json, the PNGs and Table I; print the table; return the paths.
    ``jobs`` (in timing.json): the local processes, or the Dask scheduler's address the runs went to."""
    from ..eval import report
    paths = report.write_rows(rows, out)
    paths.update({f"plot_{os.path.basename(p)[9:-4]}": p for p in report.plot_channels(rows, out)})
    table = report.table_one(rows)
    print(report.accuracy_table(rows))
    if table:
        paths["table_I"] = report.write_table_one(table, out)
        print("\nTable I (with channel estimation vs without: retrained = the receiver retrained for the raw "
              "signals, as the paper ran it; no retraining = the diagnostic):")
        for r in table:
            cells = [f"{r['with_estimation']:.4f}"]
            for label, value, drop in (("retrained", r["without_estimation"], r["relative_drop"]),
                                       ("no retraining", r["no_retraining"], r["relative_drop_no_retraining"])):
                if value is not None:
                    cells.append(f"{label} {value:.4f} (drop {100 * drop:.1f} %)")
            print(f"  {r['system']:>12} {r['channel']:>8} {r['snr_db']:>5g} dB: " + ", ".join(cells))
    lost = sum(r["lost_videos"] for r in rows)
    if lost:
        log.warning("%d videos were lost on the way (see lost_videos in results.csv)", lost)
    with open(os.path.join(out, "timing.json"), "w", encoding="utf-8") as f:
        json.dump({"seconds": {f"{r['system']}/{r['channel']}/{r['snr_db']:g}/{r['csi']}": r["seconds"]
                               for r in rows}, "jobs": jobs}, f, indent=1)
    for name, path in paths.items():
        print(f"{name}: {path}")
    return paths
