# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: line the users' bursts up by video before a shared channel (separate terminals)."""
from __future__ import annotations

import threading
import time

import numpy as np
import pmt
from gnuradio import gr

from ..phy.checks import require_int_range
from . import tags
from .item_types import vector
from .tags import VIDEO
from ..errors import InputError


class slot_aligner(gr.basic_block):
    """K burst streams, each burst tagged ``semcom_video`` → K bursts per slot, one slot per burst
    of input 0 (the audio terminal's, which clocks the uplink). User k ≥ 1 fills the slot with its
    burst of the same video position; a burst of an older position is dropped, and when user k has
    sent a later position, or nothing for ``timeout`` seconds, its slot carries silence (zeros)
    tagged ``semcom_lost`` {user, position}. So the channel keeps running when a terminal is gone,
    and the receiver can say exactly which videos were lost. Until user k's first burst has arrived,
    a slot waits ``first_timeout`` seconds instead (once): a terminal that is still starting (its
    first video pays every block's first call) is not taken for one that is gone.

    Waiting never blocks ``general_work``: it returns without output, and a timer thread posts a
    message to the block's own ``wake`` port when the wait runs out, which makes GNU Radio call it again.
    """

    WAKE = pmt.intern("wake")

    def __init__(self, burst_len: int = 800, users: int = 2, timeout: float = 1.0, first_timeout: float = 10.0):
        self.burst_len = require_int_range("burst_len", burst_len, 1)
        self.users = require_int_range("users (K)", users, 2, 4)
        if not timeout > 0:
            raise InputError(f"timeout must be > 0 seconds, got {timeout}")
        if not first_timeout >= timeout:
            raise InputError(f"first_timeout must be >= timeout ({timeout} s), got {first_timeout}")
        self.timeout, self.first_timeout = float(timeout), float(first_timeout)
        self.heard = set()               # users whose first burst has arrived
        gr.basic_block.__init__(self, name="semcom_slot_aligner",
                                in_sig=[vector(np.complex64, self.burst_len)] * self.users,
                                out_sig=[vector(np.complex64, self.burst_len)] * self.users)
        self.set_tag_propagation_policy(gr.TPP_DONT)
        self.message_port_register_in(self.WAKE)
        self.set_msg_handler(self.WAKE, self._on_wake)
        self._timer = None
        self.waiting = None              # (position, since, limit) of the slot that waits for a burst
        self.lost = []                   # (user, position) of every slot sent as silence
        self.dropped = []                # (user, position) of every burst that came too late

    def forecast(self, noutput_items, ninputs):
        return [1] + [0] * (ninputs - 1)

    def general_work(self, input_items, output_items):
        available = [len(x) for x in input_items]
        self.heard |= {k for k in range(self.users) if available[k]}
        count = min(available[0], len(output_items[0]))
        positions = [self._positions(k, available[k]) for k in range(self.users)]
        used = [0] * self.users
        slots = 0
        while slots < count:
            position = positions[0].get(slots)
            fills = [self._fill(k, position, positions[k], used, available[k]) for k in range(1, self.users)]
            if None in fills:
                break                                               # still waiting for a burst
            self._copy(0, slots, slots, input_items, output_items)
            for k, fill in enumerate(fills, start=1):
                if fill:
                    self._copy(k, used[k], slots, input_items, output_items)
                    used[k] += 1
                else:
                    output_items[k][slots] = 0
                    self.lost.append((k, position))
                    tags.add_tag(self, k, slots, tags.LOST, {"user": k, "position": position})
            self.waiting = None
            slots += 1
        if slots == 0 and not any(used) and self.waiting is not None:
            self._wake_after(self.waiting[2] - (time.monotonic() - self.waiting[1]))
        self.consume(0, slots)
        for k in range(1, self.users):
            self.consume(k, used[k])
        return slots

    def _on_wake(self, message) -> None:
        """Nothing to do: the message's arrival is what makes GNU Radio call general_work again."""

    def _wake_after(self, seconds: float) -> None:
        """Have GNU Radio call general_work again in ``seconds`` (one timer at a time)."""
        if self._timer is not None and self._timer.is_alive():
            return
        self._timer = threading.Timer(max(seconds, 0.0) + 0.001, self._post, (self.WAKE, pmt.PMT_T))
        self._timer.daemon = True
        self._timer.start()

    def stop(self) -> bool:
        if self._timer is not None:
            self._timer.cancel()
        return True

    def _positions(self, port: int, count: int) -> dict:
        """{relative item: video position} of the bursts on input ``port``."""
        found = {item: tags.video_info(value) for item, value in tags.values_by_item(self, port, count, VIDEO).items()}
        return {item: info["position"] for item, info in found.items() if info is not None}

    def _fill(self, user: int, position, queued: dict, used: list, available: int):
        """True: send user's next burst; False: silence in this slot; None: keep waiting. Bursts
        older than ``position`` are dropped first (``used[user]`` moves past them)."""
        if position is None:                                       # untagged: pair in order
            return True if used[user] < available else self._wait(None, user)
        while used[user] < available and queued.get(used[user], -1) < position:
            self.dropped.append((user, queued.get(used[user], -1)))
            used[user] += 1
        if used[user] < available:
            return queued.get(used[user]) == position                 # a later video: this one is lost
        return self._wait(position, user)

    def _wait(self, position, user: int):
        """None while the slot of ``position`` has waited less than ``timeout`` (``first_timeout``
        before ``user``'s first burst), then False."""
        now = time.monotonic()
        limit = self.timeout if user in self.heard else self.first_timeout
        if self.waiting is None or self.waiting[0] != position or self.waiting[2] != limit:
            self.waiting = (position, now, limit)
        if now - self.waiting[1] < limit:
            return None
        self.heard.add(user)             # never started: from now on it is a terminal that is gone
        return False

    def _copy(self, port: int, item: int, slot: int, input_items, output_items) -> None:
        """Input ``port``'s burst ``item`` and its tags → output ``port``'s ``slot``."""
        output_items[port][slot] = input_items[port][item]
        start = self.nitems_read(port) + item
        for tag in self.get_tags_in_range(port, start, start + 1):
            self.add_item_tag(port, self.nitems_written(port) + slot, tag.key, tag.value)
