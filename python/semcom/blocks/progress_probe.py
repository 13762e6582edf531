# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: a sink that watches a stream for the end of the videos (headless stop rules)."""
from __future__ import annotations

import time

import numpy as np
from gnuradio import gr

from ..phy.checks import require_int_range
from . import tags
from .item_types import vector
from .tags import VIDEO


class progress_probe(gr.sync_block):
    """Consumes items of ``item_size`` bytes (any stream: connect it beside the real consumer) and
    records the ``semcom_video`` tags it sees: the videos announced (``count``), the positions
    seen and the item each starts at (``first_items``), and when the last item came. :meth:`finished`
    says that the last video has passed; :meth:`taken` which videos a consumer that has read ``items``
    items has taken whole."""

    def __init__(self, item_size: int = 8):
        self.item_size = require_int_range("item_size", item_size, 1)
        gr.sync_block.__init__(self, name="semcom_progress_probe", in_sig=[vector(np.uint8, self.item_size)],
                               out_sig=None)
        self.positions = set()
        self.first_items = {}               # position → index of its first item
        self.count = 0                      # videos announced by the source (0: none seen yet)
        self.items = 0
        self.unreadable = 0                 # video tags whose value is not one (skipped)
        self.last_item_at = None            # time.monotonic() of the latest item

    def work(self, input_items, output_items):
        n = len(input_items[0])
        first = self.nitems_read(0)
        for item, value in tags.values_by_item(self, 0, n, VIDEO).items():
            info = tags.video_info(value)
            if info is None:
                self.unreadable += 1
                continue
            self.positions.add(info["position"])
            self.first_items.setdefault(info["position"], first + item)
            self.count = max(self.count, info["count"])
        self.items += n
        self.last_item_at = time.monotonic()
        return n

    def taken(self, items: int) -> set:
        """The positions of the videos whose items a consumer that has read ``items`` items has all taken
        (a video's items end where the next video's begin, or at the last item seen)."""
        starts = sorted((item, position) for position, item in self.first_items.items())
        ends = [item for item, _ in starts[1:]] + [self.items]
        return {position for (_, position), end in zip(starts, ends) if end <= items}

    def finished(self) -> bool:
        """The last video announced (position count - 1) has passed."""
        return self.count > 0 and self.count - 1 in self.positions
