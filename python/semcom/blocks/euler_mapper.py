"""GNU Radio block: Euler map (eq. 1) of feature vectors to complex symbols, unit power per burst."""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..phy.checks import require_int_range
from ..phy.euler import euler_map, normalise_power
from . import tags
from .ports import vector
from ..errors import InputError


class euler_mapper(gr.sync_block):
    """Float vectors of even length d → complex vectors of d/2 (eq. 1: first half real part,
    second half imaginary part), each burst of ``segments_per_burst`` vectors scaled to unit
    average symbol power. The scale is sent in the ``semcom_frame`` tag on the burst's first
    vector so that :class:`euler_demapper` can undo it. A burst holding NaN/Inf is sent as
    zeros with a ``semcom_error`` tag.
    """

    def __init__(self, d: int = 128, segments_per_burst: int = 10, user: int = 0):
        self.d = require_int_range("d", d, 2)
        if self.d % 2:
            raise InputError(f"d must be even (the Euler map splits it into real and imaginary halves), "
                             f"got {d}")
        self.segments = require_int_range("segments_per_burst", segments_per_burst, 1)
        self.user = require_int_range("user", user, 0, 3)
        gr.sync_block.__init__(self, name="semcom_euler_mapper",
                               in_sig=[vector(np.float32, self.d)], out_sig=[vector(np.complex64, self.d // 2)])
        self.set_output_multiple(self.segments)

    def work(self, input_items, output_items):
        count = len(output_items[0]) // self.segments * self.segments
        features = input_items[0][:count].reshape(-1, self.segments, self.d)
        bursts = features.shape[0]
        finite = np.isfinite(features).all(axis=(1, 2))
        features = np.where(finite[:, None, None], features, 0.0)
        symbols, scale = normalise_power(euler_map(features))
        output_items[0][:count] = symbols.reshape(count, self.d // 2)
        first = self.nitems_written(0) // self.segments
        for b in range(bursts):
            frame = {"user": self.user, "burst": first + b, "segments": self.segments,
                     "scale": float(scale[b])}
            tags.add_tag(self, 0, b * self.segments, tags.FRAME, frame)
            if not finite[b]:
                message = f"euler_mapper: input burst {first + b} holds NaN/Inf features; sent as zeros"
                self.logger.error(message)
                tags.add_tag(self, 0, b * self.segments, tags.ERROR, message)
        return count
