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
    seen, and when the last item came. :meth:`finished` says that the last video has passed.
    """

    def __init__(self, item_size: int = 8):
        self.item_size = require_int_range("item_size", item_size, 1)
        gr.sync_block.__init__(self, name="semcom_progress_probe", in_sig=[vector(np.uint8, self.item_size)],
                               out_sig=None)
        self.positions = set()
        self.count = 0                      # videos announced by the source (0: none seen yet)
        self.items = 0
        self.last_item_at = None            # time.monotonic() of the latest item

    def work(self, input_items, output_items):
        n = len(input_items[0])
        for value in tags.values_by_item(self, 0, n, VIDEO).values():
            if isinstance(value, dict):
                self.positions.add(int(value.get("position", -1)))
                self.count = max(self.count, int(value.get("count", 0)))
        self.items += n
        self.last_item_at = time.monotonic()
        return n

    def finished(self) -> bool:
        """The last video announced (position count - 1) has passed."""
        return self.count > 0 and self.count - 1 in self.positions
