#!/usr/bin/env python3
# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hours of streaming: memory, threads and open files of every process while thousands of videos pass.

Runs, one after the other, on a split of an AVE-format dataset (``--split train`` of a set made with
``semcom data synth --videos 6250`` has 5037 videos):
- the four programs (`semcom receiver`, `channel`, `video-terminal`, `audio-terminal`) over gr-zeromq
  on this host, the audio terminal sending ``--videos`` videos as fast as the peers take them
  (``--rate 0``) or at ``--rate`` segments per second;
- the one-process system (``run_system``) on the same videos, in a child process.

Every ``--interval`` seconds it samples each process's resident memory, threads and open file
descriptors (/proc) and the receiver's results file, and at the end prints per process: the
samples, memory at the start of the steady state (the first sample after a tenth of the videos
arrived), at the end, and the least-squares slope over the steady state in MB per 1000 videos;
threads and files min/max; and the videos accounted for (sent, received, lost, rows in the file).
A slope is counted as growth when the fitted rise over the run exceeds 2 % of the start or 8 MB.

Run from the build tree:
PYTHONPATH=build/test_modules python3 benchmarks/soak.py --model M --data D --split train --videos 5000
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

PROGRAM = [sys.executable, "-m", "gnuradio.semcom.cli.main"]
NOISE_FRACTION, NOISE_MB = 0.02, 8.0


def sample(pid: int) -> dict | None:
    """{rss_mb, threads, files} of a live process (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        files = len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError):
        return None
    return {"rss_mb": int(fields["VmRSS"].split()[0]) / 1024, "threads": int(fields["Threads"]), "files": files}


def rows_in(path: str) -> int:
    try:
        with open(path, "rb") as f:
            return max(sum(1 for _ in f) - 1, 0)
    except FileNotFoundError:
        return 0


def watch(processes: dict, results: str, videos: int, interval: float, timeout: float) -> dict:
    """Sample ``processes`` {name: Popen} every ``interval`` s until all have exited; {name: [samples]}."""
    trace = {name: [] for name in processes}
    start, shown = time.monotonic(), 0.0
    while any(p.poll() is None for p in processes.values()):
        now = time.monotonic() - start
        received = rows_in(results) // 10
        for name, process in processes.items():
            found = sample(process.pid) if process.poll() is None else None
            if found:
                trace[name].append(dict(found, t=now, videos=received))
        if now > timeout:
            for process in processes.values():
                process.send_signal(signal.SIGINT)
        if sys.stdout.isatty():
            print(f"\r{now:7.0f} s  {received:6d} of {videos} videos in the results file", end="", flush=True)
        elif now >= shown + 60:
            shown = now
            print(f"{now:7.0f} s  {received:6d} of {videos} videos in the results file", flush=True)
        time.sleep(interval)
    if sys.stdout.isatty():
        print()
    return trace


def report(name: str, samples: list, videos: int) -> dict:
    """The row of one process: steady-state start and end memory, slope, threads and files."""
    steady = [s for s in samples if s["videos"] >= videos / 10] or samples
    t = np.array([s["videos"] for s in steady], float)
    rss = np.array([s["rss_mb"] for s in steady])
    slope = float(np.polyfit(t, rss, 1)[0] * 1000) if len(steady) > 2 and np.ptp(t) > 0 else float("nan")
    rise = slope * (t.max() - t.min()) / 1000 if np.isfinite(slope) else float("nan")
    grows = np.isfinite(rise) and rise > max(NOISE_FRACTION * rss[0], NOISE_MB)
    threads = [s["threads"] for s in samples]
    files = [s["files"] for s in samples]
    row = {"process": name, "samples": len(samples), "seconds": round(samples[-1]["t"] - samples[0]["t"], 1),
           "rss_start_mb": round(float(rss[0]), 1), "rss_end_mb": round(float(rss[-1]), 1),
           "rss_peak_mb": round(max(s["rss_mb"] for s in samples), 1),
           "slope_mb_per_1000_videos": round(slope, 2), "fitted_rise_mb": round(rise, 1), "grows": bool(grows),
           "threads_min_max": [min(threads), max(threads)], "files_min_max": [min(files), max(files)]}
    print(f"{name:<16} {row['samples']:>7} {row['seconds']:>8} {row['rss_start_mb']:>9} {row['rss_end_mb']:>9} "
          f"{row['rss_peak_mb']:>9} {row['slope_mb_per_1000_videos']:>11} {row['fitted_rise_mb']:>8} "
          f"{'yes' if grows else 'no':>5} {str(row['threads_min_max']):>9} {str(row['files_min_max']):>9}")
    return row


HEADER = (f"{'process':<16} {'samples':>7} {'seconds':>8} {'RSS start':>9} {'RSS end':>9} {'RSS peak':>9} "
          f"{'MB/1000 v':>11} {'rise MB':>8} {'grows':>5} {'threads':>9} {'files':>9}")


def four_programs(args, folder: str) -> tuple:
    ports = [str(p) for p in range(args.base_port, args.base_port + 6)]
    url = "tcp://127.0.0.1:{}".format
    results = os.path.join(folder, "four.csv")
    summaries = {name: os.path.join(folder, f"{name}.json") for name in ("receiver", "channel", "video", "audio")}
    common = ["--model", args.model, "--snr", "15", "--idle-timeout", "30"]
    commands = {
        "receiver": ["receiver", *common, "--data", args.data, "--split", args.split, "--results", results,
                     "--antenna", url(ports[4]), url(ports[5])],
        "channel": ["channel", *common, "--channel", "rayleigh", "--seed", "1", "--audio-siso", url(ports[0]),
                    "--audio-uplink", url(ports[1]), "--video-uplink", url(ports[2]), "--siso-out", url(ports[3]),
                    "--antenna-out", url(ports[4]), url(ports[5])],
        "video": ["video-terminal", *common, "--data", args.data, "--split", args.split, "--siso", url(ports[3]),
                  "--uplink-out", url(ports[2])],
        "audio": ["audio-terminal", "--model", args.model, "--data", args.data, "--split", args.split, "--videos",
                  str(args.videos), "--rate", str(args.rate), "--idle-timeout", "30", "--siso-out", url(ports[0]),
                  "--uplink-out", url(ports[1])],
    }
    processes = {}
    for name, command in commands.items():
        log = open(os.path.join(folder, f"{name}.log"), "w")
        processes[name] = subprocess.Popen(PROGRAM + command + ["--summary", summaries[name]], stdout=log,
                                           stderr=subprocess.STDOUT)
        if name != "audio":
            time.sleep(args.start_gap)          # the audio terminal, which feeds the others, starts last
    trace = watch(processes, results, args.videos, args.interval, args.timeout)
    found = {}
    for name, path in summaries.items():
        try:
            with open(path) as f:
                found[name] = json.load(f)
        except (FileNotFoundError, json.JSONDecodeError):
            found[name] = {"exit": processes[name].returncode}
    return trace, found, results


SYSTEM = """
import json, sys, time
from gnuradio.semcom.flowgraphs.system import SystemConfig, run_system
r = run_system(SystemConfig(model=sys.argv[1], data=sys.argv[2], split=sys.argv[3], videos=int(sys.argv[4]),
                            channel="rayleigh", snr_db=15.0, seed=1, check_data=False, results_file=sys.argv[5]))
print(json.dumps({"accuracy": r.accuracy, "videos": r.videos, "received": r.received, "lost": len(r.lost),
                  "seconds": r.seconds}))
"""


def one_process(args, folder: str) -> tuple:
    results = os.path.join(folder, "system.csv")
    process = subprocess.Popen([sys.executable, "-c", SYSTEM, args.model, args.data, args.split, str(args.videos),
                                results], stdout=subprocess.PIPE, text=True)
    trace = watch({"system": process}, results, args.videos, args.interval, args.timeout)
    return trace, json.loads(process.stdout.read().strip().splitlines()[-1]), results


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--model", required=True, help="a multimodal model directory")
    p.add_argument("--data", required=True, help="an AVE-format dataset folder")
    p.add_argument("--split", default="train", help="the split whose videos stream (train: the largest)")
    p.add_argument("--videos", type=int, default=5000)
    p.add_argument("--rate", type=float, default=0.0, help="segments per second of the audio terminal (0: as fast "
                   "as the peers take them)")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between samples")
    p.add_argument("--timeout", type=float, default=4 * 3600.0, help="stop a part after this many seconds")
    p.add_argument("--start-gap", type=float, default=3.0, help="seconds between starting the programs")
    p.add_argument("--base-port", type=int, default=5701, help="six TCP ports from here on 127.0.0.1")
    p.add_argument("--only", choices=("programs", "system"), help="run one part")
    p.add_argument("--out", default="", help="write the samples and the table as JSON here")
    args = p.parse_args()
    out = {}
    with tempfile.TemporaryDirectory() as folder:
        if args.only in (None, "programs"):
            trace, summaries, results = four_programs(args, folder)
            print(f"\nfour programs over ZMQ, {args.videos} videos of split {args.split!r}, rate {args.rate or 'max'}")
            print(HEADER)
            rows = [report(name, samples, args.videos) for name, samples in trace.items() if samples]
            receiver = summaries.get("receiver", {})
            print(f"videos: audio terminal sent {len(summaries['audio'].get('videos_sent', []))}, not taken "
                  f"{len(summaries['audio'].get('videos_not_taken', []))}; receiver expected "
                  f"{receiver.get('expected')}, received {receiver.get('received')}, lost "
                  f"{len(receiver.get('lost', []))}; results file {rows_in(results)} rows "
                  f"({rows_in(results) / 10:g} videos); stop reasons: "
                  + "; ".join(f"{n}: {s.get('reason', s)}" for n, s in summaries.items()))
            out["programs"] = {"rows": rows, "summaries": summaries, "trace": trace}
        if args.only in (None, "system"):
            trace, result, results = one_process(args, folder)
            print(f"\none-process system, {args.videos} videos of split {args.split!r}: accuracy "
                  f"{result['accuracy']:.4f}, received {result['received']} of {result['videos']}, lost "
                  f"{result['lost']}, {result['seconds']:.0f} s ({result['videos'] / result['seconds']:.1f} videos/s); "
                  f"results file {rows_in(results)} rows")
            print(HEADER)
            out["system"] = {"rows": [report("system", trace["system"], args.videos)], "result": result,
                             "trace": trace}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
