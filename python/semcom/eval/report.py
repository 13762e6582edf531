# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Results of a sweep as files: CSV and JSON rows, accuracy-vs-SNR plots (Fig. 6), Table I; :func:`publish`
writes them all and prints the tables (``semcom sweep`` and ``semcom demo``)."""
from __future__ import annotations

import csv
import json
import logging
import os

log = logging.getLogger("semcom.sweep")     # the sweep's logger: publish reports for it
ROW_FIELDS = ("system", "channel", "snr_db", "csi", "accuracy", "correct", "segments", "videos", "lost_videos",
              "error_videos")


def sorted_rows(rows: list) -> list:
    return sorted(rows, key=lambda r: (r["system"], r["channel"], r["csi"], float(r["snr_db"])))


def write_rows(rows: list, folder: str) -> dict:
    """results.csv and results.json (without wall times, so reruns give identical files)."""
    rows = [{k: r[k] for k in ROW_FIELDS} for r in sorted_rows(rows)]
    paths = {"csv": os.path.join(folder, "results.csv"), "json": os.path.join(folder, "results.json")}
    with open(paths["csv"], "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ROW_FIELDS)
        writer.writeheader()
        writer.writerows({**r, "accuracy": f"{r['accuracy']:.6f}"} for r in rows)
    with open(paths["json"], "w", encoding="utf-8") as f:
        json.dump(rows, f, indent=1)
    return paths


def plot_channels(rows: list, folder: str) -> list:
    """One PNG per channel: segment accuracy vs SNR, a line per system and CSI mode (Fig. 6)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    paths = []
    for channel in sorted({r["channel"] for r in rows}):
        fig, ax = plt.subplots(figsize=(8.8, 4.4))
        mine = [r for r in rows if r["channel"] == channel]
        snrs = sorted({float(r["snr_db"]) for r in mine})
        systems = sorted({r["system"] for r in mine})
        colours = {name: f"C{i % 10}" for i, name in enumerate(systems)}
        for system, csi in sorted({(r["system"], r["csi"]) for r in mine}):
            line = sorted((float(r["snr_db"]), r["accuracy"]) for r in mine if (r["system"], r["csi"]) == (system, csi))
            if csi == "error_free":
                ax.axhline(line[0][1], ls=":", lw=1, color=colours[system], label=f"{system}, error-free")
                continue
            style = {"estimated": "-o", "perfect": "--s", "none_retrained": "-.v",
                     "none_no_retraining": ":^"}.get(csi, "-")
            ax.plot([s for s, _ in line], [a for _, a in line], style, ms=4, color=colours[system],
                    label=f"{system}, {CSI_LABELS.get(csi, csi + ' CSI')}")
        ax.set(xlabel="SNR (dB)", ylabel="segment accuracy", title=f"{channel} channel",
               xticks=snrs, ylim=(0, 1))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))   # beside the axes, not over lines
        fig.tight_layout()
        path = os.path.join(folder, f"accuracy_{channel}.png")
        fig.savefig(path, dpi=120)
        plt.close(fig)
        paths.append(path)
    return paths


CSI_LABELS = {"estimated": "estimated CSI", "perfect": "perfect CSI",
              "none_retrained": "no CSI, receiver retrained (Table I)",
              "none_no_retraining": "no CSI, not retrained (diagnostic)"}
RETRAINED_SUFFIXES = ("_none_retrained", "_retrained", "_none")
TABLE_ONE_FIELDS = ("system", "channel", "snr_db", "with_estimation", "without_estimation", "relative_drop",
                    "no_retraining", "relative_drop_no_retraining")


def base_system(name: str) -> str:
    """The system a retrained receiver belongs to: ``multimodal_none`` (or ``_retrained``,
    ``_none_retrained``) → ``multimodal``."""
    for suffix in RETRAINED_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[:-len(suffix)]
    return name


def table_one(rows: list) -> list:
    """Table I per system, channel and SNR: accuracy with estimated CSI; without channel estimation as
    the paper ran it (csi 'none_retrained': the transmitters kept, the receiver retrained for the raw
    antenna signals; from the system itself or from ``<system>_retrained`` / ``_none`` /
    ``_none_retrained``); and the diagnostic without retraining (csi 'none_no_retraining': the same
    trained system, the receiver gets the raw antenna signals). Relative drop = (estimated − without)
    / estimated; a mode not run is None."""
    est, retrained, unchanged = {}, {}, {}
    for r in rows:
        key = (base_system(r["system"]) if r["csi"] == "none_retrained" else r["system"], r["channel"],
               float(r["snr_db"]))
        {"estimated": est, "none_retrained": retrained, "none_no_retraining": unchanged}.get(r["csi"], {})[key] = \
            r["accuracy"]

    def drop(with_estimation, without):
        if without is None:
            return None
        return (with_estimation - without) / with_estimation if with_estimation > 0 else float("nan")

    table = []
    for key in sorted(k for k in est if k in retrained or k in unchanged):
        a, b = retrained.get(key), unchanged.get(key)
        table.append({"system": key[0], "channel": key[1], "snr_db": key[2], "with_estimation": est[key],
                      "without_estimation": a, "relative_drop": drop(est[key], a),
                      "no_retraining": b, "relative_drop_no_retraining": drop(est[key], b)})
    return table


def write_table_one(table: list, folder: str) -> str:
    """table_I.csv: one line per system, channel and SNR (empty cells: the mode was not run)."""
    path = os.path.join(folder, "table_I.csv")
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, TABLE_ONE_FIELDS)
        writer.writeheader()
        writer.writerows({k: (f"{v:.4f}" if isinstance(v, float) and k != "snr_db" else "" if v is None else v)
                          for k, v in r.items()} for r in table)
    return path


def accuracy_table(rows: list) -> str:
    """Text tables, one per channel: a line per SNR, a column per system and CSI mode."""
    values = {(r["system"], r["channel"], r["csi"], float(r["snr_db"])): r["accuracy"] for r in rows}
    lines = []
    for channel in sorted({r["channel"] for r in rows}):
        mine = [r for r in rows if r["channel"] == channel]
        columns = sorted({(r["system"], r["csi"]) for r in mine if r["csi"] != "error_free"})
        names = [f"{s}/{m}" for s, m in columns]
        width = max([len(n) for n in names] + [8])
        lines += [f"{channel}:", "  SNR dB " + " ".join(f"{n:>{width}}" for n in names)]
        for snr in sorted({float(r["snr_db"]) for r in mine if r["csi"] != "error_free"}):
            cells = [values.get((system, channel, csi, snr)) for system, csi in columns]
            lines.append(f"  {snr:>6g} " + " ".join(f"{v:>{width}.4f}" if v is not None else " " * width
                                                  for v in cells))
        free = sorted((r["system"], r["accuracy"]) for r in mine if r["csi"] == "error_free")
        lines += [f"  error-free {system}: {accuracy:.4f}" for system, accuracy in free]
    return "\n".join(lines)


def publish(rows: list, out: str, jobs) -> dict:
    """Write results.csv/json, timing.json, the PNGs and Table I; print the table; return the paths.
    ``jobs`` (in timing.json): the local processes, or the Dask scheduler's address the runs went to."""
    paths = write_rows(rows, out)
    paths.update({f"plot_{os.path.basename(p)[9:-4]}": p for p in plot_channels(rows, out)})
    table = table_one(rows)
    print(accuracy_table(rows))
    if table:
        paths["table_I"] = write_table_one(table, out)
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
