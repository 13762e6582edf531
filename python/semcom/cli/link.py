# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""``semcom link``: the physical-layer link through GNU Radio, measured against theory vs SNR."""
from __future__ import annotations

import argparse
import csv
import json
import logging
import os

from ..flowgraphs.link import LinkConfig, result_row, run_link
from ..phy import theory
from ..phy.channels import CHANNELS, noise_variance
from ..phy.detect import DETECTORS
from ..phy.ls import ESTIMATOR_MODES
from ..phy.pilots import PILOT_SOURCES, PilotSettings

log = logging.getLogger("semcom.link")


def add_parser(commands) -> None:
    p = commands.add_parser("link", help="K-user, M-antenna link with pilots, LS and ZF vs SNR "
                            "(BER, SER, estimation MSE beside closed forms)",
                            description=__doc__.split("\n")[0].split(": ", 1)[1],
                            formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--channel", choices=CHANNELS, default="rayleigh")
    p.add_argument("--snr", type=float, nargs="+", default=[0, 5, 10, 15, 20, 25, 30], metavar="DB",
                   help="SNR points in dB (unit power per user, docs/signal-model.md)")
    p.add_argument("--antennas", type=int, default=2, help="M receive antennas (1..4)")
    p.add_argument("--users", type=int, default=2, help="K single-antenna users (1..M)")
    p.add_argument("--bursts", type=int, default=2000, help="bursts per SNR point (one channel draw each)")
    p.add_argument("--segments", type=int, default=2, help="segments per burst")
    p.add_argument("--d", type=int, default=32, help="floats per segment (d/2 QPSK symbols)")
    p.add_argument("--pilot-steps", type=int, default=10, help="T_p pilot time steps")
    p.add_argument("--pilot-len", type=int, default=16, help="L_p pilot symbols per step")
    p.add_argument("--pilot-source", choices=PILOT_SOURCES, default="zadoff_chu")
    p.add_argument("--pilot-file", default="", help=".npy pilot array for --pilot-source file")
    p.add_argument("--estimator", choices=ESTIMATOR_MODES, default="min_residual")
    p.add_argument("--detector", choices=DETECTORS, default="zf")
    p.add_argument("--rician-k", type=float, default=4.0, help="Rician K-factor (linear)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default="results/link", help="folder for link.csv, link.json, link.png")
    p.set_defaults(run=run)


def run(args) -> int:
    from tqdm import tqdm

    base = dict(channel=args.channel, antennas=args.antennas, users=args.users, bursts=args.bursts,
                segments_per_burst=args.segments, d=args.d,
                pilots=PilotSettings(source=args.pilot_source, steps=args.pilot_steps, length=args.pilot_len,
                                     file=args.pilot_file),
                estimator=args.estimator, detector=args.detector, rician_k=args.rician_k, seed=args.seed)
    log.info("%d×%d %s link, %d bursts of %d QPSK symbols per user and SNR point, pilots %d×%d (%s), "
             "%s estimator, %s detector", args.antennas, args.users, args.channel, args.bursts,
             args.segments * args.d // 2, args.pilot_steps, args.pilot_len, args.pilot_source,
             args.estimator, args.detector)
    rows = []
    points = [(snr, csi) for snr in args.snr for csi in ("perfect", "estimated")]
    for snr, csi in tqdm(points, desc="link", unit="point", disable=None):   # a bar on a terminal only
        config = LinkConfig(snr_db=snr, csi=csi, **base)
        row = result_row(config, run_link(config))
        row["theory_ber"] = theory_ber(config, row["estimation_mse"])
        rows.append(row)
    os.makedirs(args.out, exist_ok=True)
    write_results(rows, args.out)
    print_table(rows)
    log.info("wrote %s/link.csv, link.json and link.png", args.out)
    return 0


def theory_ber(config: LinkConfig, estimation_mse: float) -> float | None:
    """Closed-form BER for the settings that have one (QPSK with ZF, M = K)."""
    if config.channel == "awgn" and config.csi == "perfect":
        return theory.qpsk_ber_awgn(config.snr_db)
    if config.channel != "rayleigh" or config.detector != "zf" or config.antennas != config.users:
        return None
    if config.csi == "perfect":
        return theory.qpsk_ber_rayleigh(config.snr_db)
    return theory.qpsk_ber_rayleigh_estimated(config.snr_db, estimation_mse, config.users)


def print_table(rows: list) -> None:
    print(f"{'SNR dB':>7} {'CSI':>9} {'BER':>10} {'theory':>10} {'SER':>10} {'est. MSE':>10} {'σ²/Σ|p|²':>10} "
          f"{'misfits':>8}")
    for r in rows:
        pilot_energy = r["pilot_len"] // r["users"] * (r["pilot_steps"] if r["estimator"] != "min_residual" else 1)
        mse_theory = noise_variance(r["snr_db"]) / pilot_energy if r["pilot_source"] == "zadoff_chu" else float("nan")
        th = "" if r["theory_ber"] is None else f"{r['theory_ber']:.3e}"
        print(f"{r['snr_db']:7.1f} {r['csi']:>9} {r['ber']:10.3e} {th:>10} {r['ser']:10.3e} "
              f"{r['estimation_mse']:10.3e} {mse_theory:10.3e} {r['pilot_misfits']:8d}")


def write_results(rows: list, out: str) -> None:
    with open(os.path.join(out, "link.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with open(os.path.join(out, "link.json"), "w") as f:
        json.dump(rows, f, indent=1)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for csi, style in (("perfect", "o-"), ("estimated", "s-")):
        sel = [r for r in rows if r["csi"] == csi]
        ax.semilogy([r["snr_db"] for r in sel], [max(r["ber"], 1e-7) for r in sel], style, label=f"{csi} CSI")
        if all(r["theory_ber"] is not None for r in sel):
            ax.semilogy([r["snr_db"] for r in sel], [r["theory_ber"] for r in sel], "k--", lw=0.8)
    ax.set_xlabel("SNR (dB)")
    ax.set_ylabel("bit error rate")
    ax.set_title(f"{rows[0]['antennas']}×{rows[0]['users']} {rows[0]['channel']}, ZF (dashed: theory)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "link.png"), dpi=120)
    plt.close(fig)
