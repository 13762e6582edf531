"""GNU Radio block: the audio terminal's networks (semantic + channel encoder, TorchScript)."""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..nn.model_dir import open_model_dir
from . import tags
from .ports import vector
from .terminal import as_videos, reserve_batches, set_torch_threads


class audio_transmitter(gr.sync_block):
    """Audio features (128 floats per segment) → d = 2L floats per segment for the Euler mapper,
    with ``audio_transmitter.pt`` of the model directory ``model``. Runs whole videos (10 segments)
    and batches every video available in one call. A video holding NaN/Inf is encoded from zeros
    and tagged ``semcom_error``.
    """

    def __init__(self, model: str = "", symbols: int = 0, torch_threads: int = 0):
        self.model = open_model_dir(model)
        self.model.require_symbols(symbols)
        self.model.require_modality("av", "a")
        set_torch_threads(torch_threads)
        self.network = self.model.load("audio_transmitter")
        self.segments, self.audio_dim = self.model.segments, int(self.model.manifest["audio_dim"])
        gr.sync_block.__init__(self, name="semcom_audio_transmitter", in_sig=[vector(np.float32, self.audio_dim)],
                               out_sig=[vector(np.float32, 2 * self.model.symbols)])
        self.set_output_multiple(self.segments)
        reserve_batches(self, self.segments)

    def work(self, input_items, output_items):
        import torch
        count = len(output_items[0]) // self.segments * self.segments
        audio, finite = as_videos(input_items[0][:count], self.segments, (self.audio_dim,))
        with torch.inference_mode():
            output_items[0][:count] = self.network(audio).reshape(count, -1).numpy()
        for v in np.flatnonzero(~finite):
            message = f"audio_transmitter: video at input item {self.nitems_read(0) + v * self.segments} " \
                      "holds NaN/Inf features; encoded from zeros"
            self.logger.error(message)
            tags.add_tag(self, 0, int(v) * self.segments, tags.ERROR, message)
        return count
