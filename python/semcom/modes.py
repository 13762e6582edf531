# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The words the whole module shares: CSI modes and the SNRs the systems are trained and run at."""
from __future__ import annotations

from .errors import InputError

# What the receiver's uplink detection knows of the channel (docs/signal-model.md). Without channel
# estimation (Table I): 'none_retrained', the paper's protocol (§IV-D3), the transmitters of the
# estimated-CSI system kept and the receiver retrained on the faded, noisy antenna signals that reach
# it in place of the ZF output (`semcom train --csi none_retrained --transmitters-from DIR`);
# 'none_no_retraining', a diagnostic, the estimated-CSI system run on those signals as it is. On the
# channel both are the raw antenna signals.
CSI_MODES = ("estimated", "perfect", "none_retrained", "none_no_retraining", "error_free")
NO_ESTIMATION = ("none_retrained", "none_no_retraining")
FADING_MODES = ("burst", "segment")     # one channel draw per burst (video), or per one-second segment (twin only)
TRAIN_CSI_MODES = ("estimated", "perfect", "none_retrained", "error_free")
# What a receiving program over the air does (flowgraphs/programs.py): 'none' gives the receiver the
# antennas' signals, whichever model it runs.
AIR_CSI_MODES = ("estimated", "perfect", "none")

SNR_GRID_DB = tuple(range(0, 31, 3))     # the paper's training and test SNRs
SNR_RANGE_DB = (-10.0, 40.0)             # what a run accepts; the models are trained on 0..30 dB


def check_snr_db(snr_db, name: str = "snr_db") -> float:
    """``snr_db`` if it is a number of dB in :data:`SNR_RANGE_DB` (NaN and inf are not); InputError naming
    ``name`` otherwise."""
    if isinstance(snr_db, bool) or not isinstance(snr_db, (int, float)) or not (
            SNR_RANGE_DB[0] <= snr_db <= SNR_RANGE_DB[1]):
        raise InputError(f"{name} must be a number of dB in {SNR_RANGE_DB[0]}..{SNR_RANGE_DB[1]}, got {snr_db!r}")
    return float(snr_db)
