# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: the audio terminal's networks (semantic + channel encoder, TorchScript)."""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from .item_types import vector
from .buffers import reserve_batches
from .torchscript import inference, as_videos, log_device, open_network, tag_nonfinite, warm_up


class audio_transmitter(gr.sync_block):
    """Audio features (128 floats per segment) → d = 2L floats per segment for the Euler mapper,
    with ``audio_transmitter.pt`` of the model directory ``model``. Runs whole videos (10 segments)
    and batches every video available in one call. A video holding NaN/Inf is encoded from zeros
    and tagged ``semcom_error``. ``device``: 'auto' (the GPU where PyTorch sees one, else the CPU),
    'cpu' or 'cuda'.
    """

    def __init__(self, model: str = "", symbols: int = 0, torch_threads: int = 0, device: str = "auto"):
        self.model, self.network, self.device = open_network(model, "audio_transmitter", symbols, torch_threads,
                                                             ("av", "a"), device)
        self.segments, self.audio_dim = self.model.segments, int(self.model.manifest["audio_dim"])
        warm_up(self.network, self.device, (1, self.segments, self.audio_dim))
        gr.sync_block.__init__(self, name="semcom_audio_transmitter", in_sig=[vector(np.float32, self.audio_dim)],
                               out_sig=[vector(np.float32, 2 * self.model.symbols)])
        self.set_output_multiple(self.segments)
        reserve_batches(self, self.segments)
        log_device(self, "audio_transmitter.pt", self.device)

    def work(self, input_items, output_items):
        count = len(output_items[0]) // self.segments * self.segments
        audio, finite = as_videos(input_items[0][:count], self.segments, (self.audio_dim,), self.device)
        with inference():
            output_items[0][:count] = self.network(audio).reshape(count, -1).cpu().numpy()
        tag_nonfinite(self, finite, self.segments, "encoded from zeros")
        return count
