# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Output buffer sizes: whole-video batches for the neural blocks, page-rounded sizes for odd items,
and setting them without GNU Radio's info line per call."""
from __future__ import annotations

import math

from gnuradio import gr

BATCH_VIDEOS = 64        # output buffers hold this many videos, so neural blocks can batch them


def reserve_batches(block, segments: int) -> None:
    """Output buffers of BATCH_VIDEOS whole videos: the next neural block then gets batches, not one
    or two videos per work() call (GNU Radio sizes buffers in bytes, and a visual item is 100 kB)."""
    set_min_output_buffer_quietly(block, BATCH_VIDEOS * segments)


def set_min_output_buffer_quietly(block, items: int) -> None:
    """``block.set_min_output_buffer(items)`` for a Python or a C++ block, without the info line
    GNU Radio logs for every such call (routine here)."""
    if hasattr(block, "set_log_level"):          # C++ blocks
        level = block.log_level()
        block.set_log_level("warn")
        block.set_min_output_buffer(int(items))
        block.set_log_level(level)
    else:
        level = block.logger.get_string_level()
        block.logger.set_level(gr.log_levels.warn)
        block.set_min_output_buffer(int(items))
        block.logger.set_level(level)


PAGE_BYTES = 4096                 # GNU Radio's buffer granularity on Linux (one page)


def page_aligned_buffers(block) -> None:
    """Ask for output buffers as large as GNU Radio will allocate anyway. A buffer holds a whole number
    of pages, so items of S bytes come in multiples of 4096 / gcd(S, 4096) (2048 items of the digital
    baseline's 1010-byte PCM frames); where that is more than twice what GNU Radio asks for, it
    allocates it all the same and logs a warning that nobody can act on. Asking for it says the same
    without the warning; items whose size divides a page are left alone."""
    if isinstance(block, gr.hier_block2):
        return
    signature = block.output_signature()
    streams = signature.max_streams()
    if streams == 0:
        return
    size = max(signature.sizeof_stream_item(i) for i in range(max(streams, 1)))
    whole = PAGE_BYTES // math.gcd(size, PAGE_BYTES)
    if whole * size <= PAGE_BYTES:
        return
    multiple = max(1, block.output_multiple())
    need = -(-whole // multiple) * multiple
    if block.min_output_buffer(0) < need:
        set_min_output_buffer_quietly(block, need)
