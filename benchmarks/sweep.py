#!/usr/bin/env python3
# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Wall time of the paper's sweep through GNU Radio, by part, with the sweep's per-process caches and
vectorised LDPC and without them (fresh loads, gr-fec's blocks), measured in one run.

The grid is `semcom sweep`'s (plan(): every system, channel, SNR and CSI mode); its runs go to
``--jobs`` local processes as the sweep sends them. Per approach, one pool of worker processes:

- start-up: the processes start and import gr-semcom (GNU Radio, PyTorch);
- semantic runs: every run of the semantic systems, then
- baseline runs: every run of the digital baseline (systems whose name starts with ``digital``).

``current``: the sweep as it is (each worker keeps the split, the networks and the PCM range between
its runs, semcom.memo, and uses one BLAS thread; the baseline's LDPC encoder and decoder vectorised,
semcom.phy.ldpc). ``previous``: each run loads everything afresh, BLAS keeps its default threads and
the baseline runs gr-fec's LDPC encoder and decoder frame by frame, as the sweep did before. Other
changes that cannot be switched off (wider block buffers, the receiver's per-video loop) are in both.
Both approaches run the same jobs (``--snr``: the full grid by default; a subset is labelled so,
with the full grid's time scaled from it by runs per part) and every run writes its receiver's
per-segment results file: the table says in how many runs the two approaches' files are identical.

Run from the build tree: PYTHONPATH=build/test_modules python3 benchmarks/sweep.py --data D \\
    --system multimodal=M --system audio_only=A --system video_only=V --system multimodal_retrained=R \\
    --system digital=DIGITAL
"""
from __future__ import annotations

import argparse
import filecmp
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, wait

from gnuradio.semcom.cli.sweep import system_spec
from gnuradio.semcom.eval.sweep import _local_pool, _run, plan
from gnuradio.semcom.modes import CSI_MODES, SNR_GRID_DB
from gnuradio.semcom.phy.channels import CHANNELS

APPROACHES = {"previous": dict(keep=False, ldpc_backend="gr-fec", pool="plain"),
              "current": dict(keep=True, ldpc_backend="numpy", pool="sweep")}


def _pool(kind: str, jobs: int):
    """The sweep's pool (one BLAS thread per worker), or the plain spawned pool it used before."""
    if kind == "sweep":
        return _local_pool(jobs)
    return ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))


def _warm(_: int) -> float:
    """A worker's start: import what a run needs; returns when done (time.monotonic)."""
    import gnuradio.semcom.eval.sweep  # noqa: F401
    return time.monotonic()


def _job(job, common: dict, keep: bool, results: str) -> dict:
    return _run(job, {**common, "results_file": results}, keep=keep)


def run_approach(name: str, parts: dict, common: dict, jobs: int, folder: str) -> dict:
    """{part: seconds} of one approach (``parts``: {part name: jobs}), with a fresh pool of ``jobs`` processes."""
    settings = APPROACHES[name]
    common = {**common, "ldpc_backend": settings["ldpc_backend"]}
    os.makedirs(os.path.join(folder, name), exist_ok=True)
    seconds = {}
    start = time.monotonic()
    with _pool(settings["pool"], jobs) as pool:
        wait([pool.submit(_warm, i) for i in range(jobs)])    # each of the idle workers takes one
        seconds["start-up"] = time.monotonic() - start
        for part, part_jobs in parts.items():
            begin = time.monotonic()
            futures = [pool.submit(_job, job, common, settings["keep"], results_path(folder, name, job))
                       for job in part_jobs]
            for future in futures:
                future.result()
            seconds[part] = time.monotonic() - begin
    seconds["total"] = time.monotonic() - start
    return seconds


def results_path(folder: str, approach: str, job) -> str:
    return os.path.join(folder, approach, f"{job.system}_{job.channel}_{job.snr_db:g}_{job.csi}.csv")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data", required=True, help="AVE-format dataset folder")
    parser.add_argument("--system", type=system_spec, action="append", required=True, metavar="NAME=MODEL_DIR",
                        help="a system of the sweep (repeat); a name starting with 'digital' is the baseline")
    parser.add_argument("--channels", nargs="+", choices=CHANNELS, default=list(CHANNELS))
    parser.add_argument("--snr", type=float, nargs="+", default=list(SNR_GRID_DB), metavar="DB",
                        help="SNRs run by both approaches (fewer than the grid's: a subset, scaled up)")
    parser.add_argument("--csi", nargs="+", choices=CSI_MODES,
                        default=["estimated", "perfect", "none_retrained", "error_free"])
    parser.add_argument("--videos", type=int, default=0, help="first N test videos (0 = all)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes, as semcom sweep --jobs")
    parser.add_argument("--approaches", nargs="+", choices=tuple(APPROACHES), default=list(APPROACHES))
    parser.add_argument("--out", help="folder for the per-run results files (default: a temporary one)")
    args = parser.parse_args()
    systems = dict(args.system)
    full = plan(systems, args.channels, list(SNR_GRID_DB), args.csi)
    jobs = plan(systems, args.channels, sorted(args.snr), args.csi)
    parts = {"semantic runs": [j for j in jobs if not j.system.startswith("digital")],
             "baseline runs": [j for j in jobs if j.system.startswith("digital")]}
    full_counts = {"semantic runs": sum(not j.system.startswith("digital") for j in full),
                   "baseline runs": sum(j.system.startswith("digital") for j in full)}
    subset = len(jobs) < len(full)
    common = dict(data=args.data, split="test", videos=args.videos, torch_threads=1 if args.jobs > 1 else 0,
                  check_data=False)
    folder = args.out or tempfile.mkdtemp(prefix="semcom_sweep_bench_")
    grid = "a subset of the grid: SNRs " + " ".join(f"{s:g}" for s in sorted(args.snr)) if subset else "the full grid"
    print(f"{len(jobs)} runs ({grid}; "
          f"{full_counts['semantic runs']} semantic + {full_counts['baseline runs']} baseline in the full grid) "
          f"on {args.jobs} processes; results files in {folder}", flush=True)
    measured = {}
    for name in args.approaches:
        measured[name] = run_approach(name, parts, common, args.jobs, folder)
        print(f"{name}: " + ", ".join(f"{part} {s:.1f} s" for part, s in measured[name].items()), flush=True)
    rows = []
    for part in ("start-up", *parts, "total"):
        count = len(parts[part]) if part in parts else (len(jobs) if part == "total" else "")
        cells = [part, str(count)]
        for name in APPROACHES:
            cells.append(f"{measured[name][part]:.1f}" if name in measured else "-")
        both = all(name in measured for name in APPROACHES)
        cells.append(f"{measured['previous'][part] / measured['current'][part]:.2f}" if both else "-")
        if subset:
            for name in APPROACHES:
                if name not in measured:
                    cells.append("-")
                elif part in parts:
                    cells.append(f"{measured[name][part] * full_counts[part] / max(len(parts[part]), 1):.0f}")
                elif part == "start-up":
                    cells.append(f"{measured[name][part]:.0f}")
                else:
                    scaled = sum(measured[name][p] * full_counts[p] / max(len(parts[p]), 1) for p in parts)
                    cells.append(f"{measured[name]['start-up'] + scaled:.0f}")
        rows.append(cells)
    header = ["part", "runs", "previous s", "current s", "previous/current"]
    if subset:
        header += ["previous, full grid s (scaled)", "current, full grid s (scaled)"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    if all(name in measured for name in APPROACHES):
        same = {part: sum(filecmp.cmp(results_path(folder, "previous", j), results_path(folder, "current", j),
                                      shallow=False) for j in part_jobs) for part, part_jobs in parts.items()}
        print("\nper-segment results files identical (previous vs current): "
              + ", ".join(f"{part} {same[part]}/{len(parts[part])}" for part in parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
