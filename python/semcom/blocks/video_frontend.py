# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: VGG-19 front end of the video terminal, frames → one 7·7·512 feature per second."""
from __future__ import annotations

import time

import numpy as np
from gnuradio import gr

from ..data.ave import SEGMENTS
from . import tags
from .item_types import vector
from .torchscript import log_device, set_torch_threads
from ..nn.runtime import pick_device
from .tags import VIDEO
from ..errors import InputError

POOL5_SIZE = 7 * 7 * 512


def camera_seconds(index: int, frames_per_second: int):
    """Frames of OpenCV camera ``index``, one (F, H, W, 3) RGB array per wall-clock second, at most
    ``frames_per_second`` frames each (evenly spread in time); runs until the camera stops."""
    try:
        import cv2
    except ImportError:
        raise InputError("camera input needs OpenCV (pip install opencv-python-headless or apt-get install "
                         "python3-opencv); a video file works without it") from None
    capture = cv2.VideoCapture(index)
    if not capture.isOpened():
        raise InputError(f"camera {index} cannot be opened by OpenCV")
    return _camera_loop(cv2, capture, frames_per_second)


def _camera_loop(cv2, capture, frames_per_second: int):
    try:
        while True:
            start, frames, slots = time.monotonic(), [], set()
            while (elapsed := time.monotonic() - start) < 1.0:
                ok, bgr = capture.read()
                if not ok:
                    return
                slot = int(elapsed * frames_per_second)
                if slot not in slots:
                    slots.add(slot)
                    frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            if frames:
                yield np.stack(frames)
    finally:
        capture.release()


class video_frontend(gr.sync_block):
    """Frames of a video file (any format FFmpeg reads; its audio is not needed), or of a camera when
    ``source`` is ``camera:N`` (OpenCV needed) → one VGG-19 pool5 map per second, averaged over up
    to ``frames_per_second`` frames (AVE: 16), 7·7·512 floats row-major (channels last).

    Seconds are grouped into "videos" of ``segments`` (10) from the start: output item k·segments
    carries a ``semcom_video`` tag {video: k, position: k, count: 0}, as :class:`audio_frontend` does,
    so the two front ends of one clip stay aligned. A file source ends the flowgraph after its last
    full second. ``vgg19``: a torchvision VGG-19 state dict (``vgg19-dcbb9e9d.pth``).
    ``device``: 'auto' (the GPU where PyTorch sees one, else the CPU), 'cpu' or 'cuda'.
    """

    def __init__(self, vgg19: str = "", source: str = "", frames_per_second: int = 16, segments: int = SEGMENTS,
                 device: str = "auto", torch_threads: int = 0):
        from ..data.media import iter_video_seconds, open_media
        from ..data.vgg import load_vgg19
        if int(frames_per_second) < 1:
            raise InputError(f"frames_per_second must be >= 1, got {frames_per_second}")
        if int(segments) < 1:
            raise InputError(f"segments must be >= 1, got {segments}")
        if source.startswith("camera:"):
            try:
                index = int(source.split(":", 1)[1])
            except ValueError:
                raise InputError(f"source {source!r}: expected camera:N with N a camera index") from None
            self.seconds = camera_seconds(index, int(frames_per_second))
        else:
            open_media(source, need_audio=False).close()       # a clear error now, not inside work()
            self.seconds = iter_video_seconds(source, int(frames_per_second))
        self.device = pick_device(device)
        set_torch_threads(torch_threads)
        self.model = load_vgg19(vgg19, self.device)
        self.segments = int(segments)
        gr.sync_block.__init__(self, name="semcom_video_frontend", in_sig=None,
                               out_sig=[vector(np.float32, POOL5_SIZE)])
        log_device(self, "VGG-19", self.device)

    def work(self, input_items, output_items):
        from ..data.vgg import pool5
        frames = next(self.seconds, None)
        if frames is None:
            return -1
        output_items[0][0] = pool5(self.model, frames, self.device).mean(axis=0).reshape(-1)
        item = self.nitems_written(0)
        if item % self.segments == 0:
            video = item // self.segments
            tags.add_tag(self, 0, 0, VIDEO, {"video": video, "position": video, "count": 0})
        return 1
