# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: the video terminal (audio channel decoder, AGVA, visual channel encoder; TorchScript)."""
from __future__ import annotations

from collections import deque

import numpy as np
from gnuradio import gr

from . import tags
from .item_types import vector
from .buffers import BATCH_VIDEOS, reserve_batches
from .torchscript import inference, as_videos, log_device, open_network, tag_nonfinite, warm_up


class video_transmitter(gr.basic_block):
    """Visual features (7·7·512 floats per segment) on input 0 and, for a multimodal model, the
    audio received over the SISO link (2L floats per segment, after the Euler demapper) on input 1
    → 2L floats per segment for the Euler mapper (``video_transmitter.pt``: decodes a*_t, AGVA
    eq. 2-3, visual channel encoder). A video-only model ('v') has no audio input. Whole videos,
    batched; the tags of input 0 are passed on; NaN/Inf inputs are replaced by zeros and tagged ``semcom_error``.

    Video i of input 0 goes with video i of input 1. A multimodal network that has the split
    methods (``encode_visual``, ``encode_with_audio``; every model exported by this version) can run
    the part that needs no audio (most of the work: the visual cells' AGVA scores) as soon as a
    video's visual features arrive, while its audio is still on the SISO link, and the rest when
    the audio comes, if ``split`` is True: the same arithmetic, a shorter latency per video in
    streaming. Off by default: the batches of the two parts then depend on when features and audio
    arrive, and PyTorch's results differ in the last bits between batch sizes, so two runs of a
    batch flowgraph could differ in a borderline prediction; whole, the batches are those of the audio.

    ``device``: 'auto' (the GPU where PyTorch sees one, else the CPU), 'cpu' or 'cuda'; with ``split``
    the queued videos' cells and scores stay on it.
    """

    def __init__(self, model: str = "", symbols: int = 0, torch_threads: int = 0, split: bool = False,
                 device: str = "auto"):
        self.model, self.network, self.device = open_network(model, "video_transmitter", symbols, torch_threads,
                                                             ("av", "v"), device)
        self.segments, self.visual_shape = self.model.segments, tuple(self.model.manifest["visual_shape"])
        self.d = 2 * self.model.symbols
        self.with_audio = self.model.modality == "av"
        self.split = bool(split) and self.with_audio and hasattr(self.network, "encode_visual")
        visual, audio = (1, self.segments) + self.visual_shape, (1, self.segments, self.d)
        if self.split:
            warm_up(self.network.encode_visual, self.device, visual)
            import torch
            with inference():
                cells, scores = self.network.encode_visual(torch.zeros(visual, device=self.device))
            warm_up(lambda a: self.network.encode_with_audio(cells, scores, a), self.device, audio)
        else:
            warm_up(self.network, self.device, visual, *[audio][:self.with_audio])
        inputs = [vector(np.float32, int(np.prod(self.visual_shape)))] + [vector(np.float32, self.d)] * self.with_audio
        gr.basic_block.__init__(self, name="semcom_video_transmitter", in_sig=inputs,
                                out_sig=[vector(np.float32, self.d)])
        self.set_output_multiple(self.segments)
        reserve_batches(self, self.segments)
        self.set_tag_propagation_policy(gr.TPP_DONT)   # the SISO link's tags end here
        log_device(self, "video_transmitter.pt", self.device)
        self.pending = deque()   # per video read from input 0, waiting for its audio: (visual, finite, item, tags)

    def forecast(self, noutput_items, ninputs):
        if not self.with_audio:
            return [noutput_items]
        if not self.split:
            return [noutput_items] * 2
        # one whole video on the input that is needed next (the audio of the oldest queued visual, else
        # a visual), whatever noutput_items is: general_work takes what is there, and GNU Radio then
        # calls forecast once per call instead of halving noutput_items down to a video
        return [0, self.segments] if self.pending else [self.segments, 0]

    def general_work(self, input_items, output_items):
        room = len(output_items[0]) // self.segments
        if not self.with_audio or not self.split:
            count = min(len(x) for x in input_items) // self.segments
            count = min(count, room) * self.segments
            if count == 0:
                return 0
            visual, finite = as_videos(input_items[0][:count], self.segments, self.visual_shape, self.device)
            with inference():
                if self.with_audio:
                    audio, audio_finite = as_videos(input_items[1][:count], self.segments, (self.d,), self.device)
                    finite &= audio_finite
                    sent = self.network(visual, audio)
                else:
                    sent = self.network(visual)
            output_items[0][:count] = sent.reshape(count, -1).cpu().numpy()
            tags.copy_tags(self, 0, count, [0])
            tag_nonfinite(self, finite, self.segments, "encoded from zeros")
            for port in range(len(input_items)):
                self.consume(port, count)
            return count
        self._read_visual(input_items[0])
        return self._finish(input_items[1], output_items[0], room)

    def _read_visual(self, items) -> None:
        """Run ``encode_visual`` on the whole videos of input 0 (up to BATCH_VIDEOS waiting) and queue them."""
        count = min(len(items) // self.segments, BATCH_VIDEOS - len(self.pending)) * self.segments
        if count <= 0:
            return
        visual, finite = as_videos(items[:count], self.segments, self.visual_shape, self.device)
        with inference():
            cells, scores = self.network.encode_visual(visual)
        first = self.nitems_read(0)
        found = [(t.offset - first, t.key, t.value) for t in self.get_tags_in_window(0, 0, count)]
        for v in range(count // self.segments):
            start = v * self.segments
            own = [(offset - start, key, value) for offset, key, value in found
                   if start <= offset < start + self.segments]
            self.pending.append((cells[v], scores[v], bool(finite[v]), first + start, own))
        self.consume(0, count)

    def _finish(self, items, out, room: int) -> int:
        """``encode_with_audio`` for the queued videos whose audio is on input 1; returns the items written."""
        import torch
        videos = min(len(items) // self.segments, len(self.pending), room)
        if videos == 0:
            return 0
        count = videos * self.segments
        audio, finite = as_videos(items[:count], self.segments, (self.d,), self.device)
        queued = [self.pending.popleft() for _ in range(videos)]
        with inference():
            sent = self.network.encode_with_audio(torch.stack([q[0] for q in queued]),
                                                  torch.stack([q[1] for q in queued]), audio)
        out[:count] = sent.reshape(count, -1).cpu().numpy()
        written = self.nitems_written(0)
        for v, (_, _, _, _, own) in enumerate(queued):
            for offset, key, value in own:
                self.add_item_tag(0, written + v * self.segments + offset, key, value)
        finite &= np.array([q[2] for q in queued])
        tag_nonfinite(self, finite, self.segments, "encoded from zeros", [q[3] for q in queued])
        self.consume(1, count)
        return count
