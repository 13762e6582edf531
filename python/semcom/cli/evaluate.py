# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""``semcom evaluate``: a trained model's test accuracy through the PyTorch channel twin (fast; the GNU
Radio system is ``semcom sweep``), per channel, SNR and CSI mode, with the ratios the paper's goals use."""
from __future__ import annotations

import json
import logging
import os

from ..modes import CSI_MODES, FADING_MODES, SNR_GRID_DB
from ..phy.channels import CHANNELS
from ..errors import InputError
from .options import add_command, add_data, add_device, add_model

log = logging.getLogger("semcom.evaluate")


def add_parser(commands) -> None:
    p = add_command(commands, "evaluate", "test accuracy through the PyTorch channel twin per channel, SNR, CSI",
                    __doc__)
    add_model(p, "model directory (semcom train)")
    add_data(p)
    p.add_argument("--channels", nargs="+", choices=CHANNELS, default=list(CHANNELS))
    p.add_argument("--snr", type=float, nargs="+", default=list(SNR_GRID_DB), metavar="DB")
    p.add_argument("--csi", nargs="+", choices=CSI_MODES,
                   help="CSI modes (default: estimated, perfect and error_free; for a receiver retrained with "
                   "--csi none_retrained, Table I as the paper ran it, that mode only). none_no_retraining, a "
                   "diagnostic: the trained system with the estimation block removed, no retraining")
    p.add_argument("--fading", choices=FADING_MODES,
                   help="the twin's channel: one draw per burst (the GNU Radio blocks' model) or per one-second "
                   "segment, each estimated from its own pilot step (default: as the model was trained)")
    p.add_argument("--seeds", type=int, default=3, help="channel realisations averaged per point")
    p.add_argument("--out", help="write evaluation.json here (default: inside the model directory)")
    add_device(p)
    p.set_defaults(run=run)


def run(args) -> int:
    import numpy as np
    from ..data.ave import load_split
    from ..nn.system import SemanticSystem
    from ..train.trainer import twin_accuracies
    from ..nn.model_dir import open_model_dir
    from ..modes import check_snr_db
    from ..nn.model_dir import check_data_matches
    from ..nn.runtime import describe_device, pick_device
    if args.seeds < 1:
        raise InputError(f"--seeds must be >= 1, got {args.seeds}")
    for snr in args.snr:
        check_snr_db(snr, "--snr")
    if args.out and not os.path.isdir(os.path.dirname(os.path.abspath(args.out))):
        raise InputError(f"--out {args.out}: folder {os.path.dirname(os.path.abspath(args.out))} does not exist")
    model = open_model_dir(args.model)
    trained = model.trained_csi
    if args.csi is None:
        args.csi = ["none_retrained"] if trained == "none_retrained" else ["estimated", "perfect", "error_free"]
    if (trained == "none_retrained") != ("none_retrained" in args.csi) or (
            trained == "none_retrained" and set(args.csi) != {"none_retrained"}):
        raise InputError(f"{args.model}: a receiver retrained for the raw antenna signals runs only --csi "
                         f"none_retrained, and only such a receiver does; this model is trained for {trained!r}, "
                         f"asked for {' '.join(args.csi)}")
    device = pick_device(args.device)
    system = SemanticSystem.from_model_dir(args.model, device)
    log.info("evaluating %s on %s", args.model, describe_device(device))
    split = load_split(args.data, args.split)
    check_data_matches(model, split.audio.shape[1:], split.visual.shape[1:], args.data)
    points = [(ch, csi, snr) for ch in args.channels for csi in args.csi
              for snr in (args.snr[:1] if csi == "error_free" else args.snr)]
    fading = args.fading or model.trained_fading
    twins = {(ch, csi): system.twins(ch, csi, fading=fading) for ch, csi, _ in points}
    found = twin_accuracies(system, split, [(*twins[(ch, csi)], snr, s) for ch, csi, snr in points
                                            for s in range(1, args.seeds + 1)], device=device, progress="evaluate")
    table = {point: float(np.mean(found[i * args.seeds:(i + 1) * args.seeds])) for i, point in enumerate(points)}
    rows = [{"channel": ch, "csi": csi, "snr_db": snr, "accuracy": acc} for (ch, csi, snr), acc in table.items()]
    width = max([10] + [len(c) for c in args.csi])
    print(f"{'channel':>9} {'SNR dB':>7} " + " ".join(f"{c:>{width}}" for c in args.csi if c != "error_free")
          + ("  est/perfect" if {"estimated", "perfect"} <= set(args.csi) else ""))
    for ch in args.channels:
        for snr in args.snr:
            cells = [table[(ch, c, snr)] for c in args.csi if c != "error_free"]
            perfect = table.get((ch, "perfect", snr), 0.0)
            ratio = (f"  {table[(ch, 'estimated', snr)] / perfect if perfect > 0 else float('nan'):11.4f}"
                     if {"estimated", "perfect"} <= set(args.csi) else "")
            print(f"{ch:>9} {snr:>7g} " + " ".join(f"{v:{width}.4f}" for v in cells) + ratio)
        if "error_free" in args.csi:
            print(f"{ch:>9}   error-free {table[(ch, 'error_free', args.snr[0])]:.4f}")
    path = args.out or os.path.join(args.model, "evaluation.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"data": args.data, "split": args.split, "seeds": args.seeds, "fading": fading, "rows": rows}, f,
                  indent=1)
    log.info("wrote %s", path)
    return 0
