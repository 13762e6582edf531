#!/usr/bin/env python3
# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Debian's PyTorch against pip's, in one run: the rows of benchmarks/system.py under each.

Runs benchmarks/system.py twice, each time in a fresh Debian /usr/bin/python3: first with the
PyTorch the system has (Debian's python3-torch, on the BLAS the system selects), then with pip's
PyTorch from a folder put first on PYTHONPATH (``--pip-deps DIR``: ``build/python-deps`` or
``<prefix>/lib/gr-semcom/python-deps`` of a ``--pip-deps`` build). Prints each run's output, then
its rows side by side with the ratio pip / Debian of each row's first figure.

    python3 benchmarks/pytorch_builds.py --pip-deps /tmp/build-pip/python-deps --model M --data D \\
        -- --threads 1 --videos 100 --latency-videos 100

Arguments after ``--`` go to benchmarks/system.py. The model must load in both PyTorch versions:
train it with the older one (a TorchScript file loads in the same or a newer PyTorch).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def run_system(package: str, deps: str, forwarded: list) -> str:
    """benchmarks/system.py's output with ``package`` (and ``deps`` before it) on PYTHONPATH."""
    path = os.pathsep.join(p for p in (deps, package) if p)
    env = dict(os.environ, PYTHONPATH=path)
    probe = subprocess.run(["/usr/bin/python3", "-c", "from gnuradio import semcom; from gnuradio.semcom.nn import "
                            "runtime; print(runtime.describe())"], env=env, capture_output=True, text=True)
    if probe.returncode != 0:
        sys.exit(f"PYTHONPATH={path}: cannot import gnuradio.semcom and torch:\n{probe.stderr[-2000:]}")
    done = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "system.py"), *forwarded], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"benchmarks/system.py failed with PYTHONPATH={path}:\n{done.stderr[-3000:]}")
    return probe.stdout.strip() + "\n" + done.stdout


def rows(output: str) -> dict:
    """{label: figures} of the lines whose text after the label (up to the first column gap or ': ')
    starts with figures; only those leading figures are kept."""
    found = {}
    for line in output.splitlines():
        parts = re.split(r"\s{2,}|: ", line.strip(), maxsplit=1)
        figures = []
        for token in parts[1].split() if len(parts) == 2 else []:
            if not NUMBER.fullmatch(token):
                break
            figures.append(float(token))
        if figures:
            found[parts[0]] = figures
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pip-deps", required=True, help="folder holding pip's torch (and what it needs)")
    parser.add_argument("--package", default=os.path.join(HERE, "..", "build", "test_modules"),
                        help="folder holding gnuradio/semcom (default: the build tree's)")
    parser.add_argument("--model", required=True, help="multimodal model directory")
    parser.add_argument("--data", required=True, help="AVE-format dataset folder")
    args, forwarded = parser.parse_known_args()
    forwarded = [a for a in forwarded if a != "--"] + ["--model", args.model, "--data", args.data]
    if not os.path.isdir(os.path.join(args.pip_deps, "torch")):
        sys.exit(f"--pip-deps {args.pip_deps}: no torch folder there")
    outputs = {}
    for name, deps in (("Debian", ""), ("pip", os.path.abspath(args.pip_deps))):
        outputs[name] = run_system(os.path.abspath(args.package), deps, forwarded)
        print(f"=== {name}: {outputs[name]}", flush=True)
    debian, pip = rows(outputs["Debian"]), rows(outputs["pip"])
    print(f"=== side by side\n{'row':<80} {'Debian':>20} {'pip':>20} {'pip/Debian':>10}")
    for label, figures in debian.items():
        if label in pip:
            other = pip[label]
            ratio = other[0] / figures[0] if figures[0] else float("nan")
            print(f"{label[:80]:<80} {' '.join(f'{x:g}' for x in figures):>20} "
                  f"{' '.join(f'{x:g}' for x in other):>20} {ratio:>10.2f}")


if __name__ == "__main__":
    main()
