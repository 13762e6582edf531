"""GNU Radio block: the video terminal (audio channel decoder, AGVA, visual channel encoder; TorchScript)."""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from . import tags
from .ports import vector
from .terminal import as_videos, open_network, reserve_batches, tag_nonfinite, warm_up


class video_terminal(gr.sync_block):
    """Visual features (7·7·512 floats per segment) on input 0 and, for a multimodal model, the
    audio received over the SISO link (2L floats per segment, after the Euler demapper) on input 1
    → 2L floats per segment for the Euler mapper (``video_transmitter.pt``: decodes a*_t, AGVA
    eq. 2-3, visual channel encoder). A video-only model ('v') has no audio input. Whole videos,
    batched; the tags of input 0 are passed on; NaN/Inf inputs are replaced by zeros and tagged ``semcom_error``.
    """

    def __init__(self, model: str = "", symbols: int = 0, torch_threads: int = 0):
        self.model, self.network = open_network(model, "video_transmitter", symbols, torch_threads, ("av", "v"))
        self.segments, self.visual_shape = self.model.segments, tuple(self.model.manifest["visual_shape"])
        self.d = 2 * self.model.symbols
        inputs = [vector(np.float32, int(np.prod(self.visual_shape)))]
        if self.model.modality == "av":
            inputs.append(vector(np.float32, self.d))
        warm_up(self.network, (1, self.segments) + self.visual_shape, *[(1, self.segments, self.d)][:len(inputs) - 1])
        gr.sync_block.__init__(self, name="semcom_video_terminal", in_sig=inputs,
                               out_sig=[vector(np.float32, self.d)])
        self.set_output_multiple(self.segments)
        reserve_batches(self, self.segments)
        self.set_tag_propagation_policy(gr.TPP_DONT)   # the SISO link's tags end here

    def work(self, input_items, output_items):
        import torch
        count = len(output_items[0]) // self.segments * self.segments
        visual, finite = as_videos(input_items[0][:count], self.segments, self.visual_shape)
        with torch.inference_mode():
            if self.model.modality == "av":
                audio, audio_finite = as_videos(input_items[1][:count], self.segments, (self.d,))
                finite &= audio_finite
                sent = self.network(visual, audio)
            else:
                sent = self.network(visual)
        output_items[0][:count] = sent.reshape(count, -1).numpy()
        tags.copy_tags(self, 0, count, [0])
        tag_nonfinite(self, finite, self.segments, "encoded from zeros")
        return count
