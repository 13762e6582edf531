# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: prepend one user's pilot preamble to every payload burst (docs/signal-model.md)."""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..phy.checks import require_int_range
from ..phy.pilots import make_pilots
from . import tags
from .item_types import vector


class pilot_inserter(gr.sync_block):
    """Payload vectors of ``payload_len`` symbols → bursts of T_p·L_p pilot symbols + payload.

    User ``user`` of ``users`` sends row ``user`` of the pilot array (T_p, K, L_p) of
    :func:`semcom.phy.pilots.make_pilots` (``pilot_source``: ``zadoff_chu`` time-division,
    ``zadoff_chu_shifted``, or ``file``). Each burst carries a ``semcom_frame`` tag on its vector:
    the incoming one (from the Euler mapper) with the pilot layout added, or a new one.
    """

    def __init__(self, payload_len: int = 640, user: int = 0, users: int = 2, pilot_steps: int = 10,
                 pilot_len: int = 16, pilot_source: str = "zadoff_chu", zc_root: int = 1,
                 pilot_file: str = ""):
        self.payload_len = require_int_range("payload_len", payload_len, 1)
        self.preamble, self.layout = pilot_preamble(self.payload_len, user, users, pilot_steps, pilot_len,
                                                    pilot_source, zc_root, pilot_file)
        self.user = int(user)
        burst_len = self.preamble.size + self.payload_len
        gr.sync_block.__init__(self, name="semcom_pilot_inserter",
                               in_sig=[vector(np.complex64, self.payload_len)],
                               out_sig=[vector(np.complex64, burst_len)])
        self.set_tag_propagation_policy(gr.TPP_DONT)

    def work(self, input_items, output_items):
        count = len(output_items[0])
        out = output_items[0]
        out[:, :self.preamble.size] = self.preamble
        out[:, self.preamble.size:] = input_items[0][:count]
        frames = tags.values_by_item(self, 0, count, tags.FRAME)
        tags.copy_tags(self, 0, count, [0], skip=(tags.FRAME,))
        first = self.nitems_written(0)
        for b in range(count):
            frame = frames.get(b)
            if not isinstance(frame, dict):
                frame = {"user": self.user, "burst": first + b}
            frame.update(self.layout, user=self.user)
            tags.add_tag(self, 0, b, tags.FRAME, frame)
        return count


def pilot_preamble(payload_len: int, user: int, users: int, pilot_steps: int, pilot_len: int, pilot_source: str,
                   zc_root: int, pilot_file: str) -> tuple[np.ndarray, dict]:
    """(user ``user``'s preamble of T_p·L_p symbols, the pilot layout of its ``semcom_frame`` tags)."""
    users = require_int_range("users (K)", users, 1, 4)
    user = require_int_range("user", user, 0, users - 1)
    pilots = make_pilots(pilot_source, users, pilot_steps, pilot_len, zc_root, pilot_file)
    layout = {"pilot_steps": pilots.shape[0], "pilot_len": pilots.shape[2], "payload_len": payload_len}
    return pilots[:, user, :].ravel(), layout
