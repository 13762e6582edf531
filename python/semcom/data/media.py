# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Decoding media files with PyAV: 16 kHz mono audio (mean of the channels, as VGGish does) and RGB
frames, cut into aligned 1-second segments.

Both streams are put on one clock whose origin is the earlier of the first audio and the first video
frame. A clip of N full seconds (the shorter of its audio and video) gives N segments: second ``s``
holds audio samples [16000·s, 16000·(s+1)) and the frames shown in [s, s+1). Per second at most
``frames_per_second`` frames are kept, evenly spread (AVE sampled 16), scaled to 224×224 RGB by
FFmpeg's swscale (bilinear) while decoding, so a long clip never holds full-size frames in memory.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Iterator

import numpy as np
from ..errors import InputError

SAMPLE_RATE = 16000        # VGGish's input rate
FRAME_SIZE = 224           # VGG-19's input size
FRAMES_PER_SECOND = 16     # frames kept per second (AVE's choice)
_EPS = 1e-6


def _av():
    try:
        import av
    except ImportError:
        raise RuntimeError("PyAV is needed to decode media: apt-get install python3-av (docs/install.md)") from None
    return av


def open_media(path: str, need_audio: bool = True):
    """An open PyAV container of ``path`` with a video stream (and an audio stream if ``need_audio``)."""
    av = _av()
    if os.path.isdir(path):
        raise InputError(f"media file {path!r} is a folder: give the video files (for example {path}/*.mp4)")
    if not os.path.isfile(path):
        raise InputError(f"media file {path!r} does not exist")
    try:
        container = av.open(path)
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"media file {path!r} is not readable by FFmpeg ({exc})") from None
    kinds = sorted({s.type for s in container.streams})
    if not container.streams.video:
        container.close()
        raise InputError(f"media file {path!r} has no video stream (found: {', '.join(kinds) or 'nothing'}); "
                         "the video terminal needs frames")
    if need_audio and not container.streams.audio:
        container.close()
        raise InputError(f"media file {path!r} has no audio stream (found: {', '.join(kinds)}); "
                         "the audio terminal needs sound")
    return container


class FramePicker:
    """Keeps at most ``per_second`` frames per second, the first frame at or after each of the
    instants s + k/per_second, and returns them as (size, size, 3) uint8 RGB."""

    def __init__(self, per_second: int = FRAMES_PER_SECOND, size: int = FRAME_SIZE):
        if int(per_second) < 1:
            raise InputError(f"frames_per_second must be >= 1, got {per_second}")
        self.per_second, self.size = int(per_second), int(size)
        self.taken = set()

    def pick(self, frame, t: float):
        """(second, RGB array) if ``frame`` at time ``t`` (s from the origin) is kept, else None."""
        if t < -_EPS:
            return None
        t = max(t, 0.0)
        second = int(math.floor(t + _EPS))
        slot = (second, min(int((t - second + _EPS) * self.per_second), self.per_second - 1))
        if slot in self.taken:
            return None
        self.taken.add(slot)
        return second, frame.to_ndarray(width=self.size, height=self.size, format="rgb24",
                                        interpolation="BILINEAR")


def _frame_end(frame, stream) -> float:
    """Time at which ``frame`` stops being shown: its time plus its duration (or one frame period;
    PyAV before 12, Debian 12's, has no frame duration)."""
    duration = getattr(frame, "duration", None)
    if duration and frame.time_base:
        return float(frame.time) + float(duration * frame.time_base)
    rate = stream.average_rate or stream.guessed_rate
    return float(frame.time) + (1.0 / float(rate) if rate else 0.0)


@dataclass
class Media:
    """A decoded clip cut into ``seconds`` aligned segments."""
    path: str
    audio: np.ndarray         # (seconds·16000,) float32 mono at 16 kHz
    frames: np.ndarray        # (F, 224, 224, 3) uint8 RGB, in time order
    frame_second: np.ndarray  # (F,) segment index of each frame, every segment has at least one

    @property
    def seconds(self) -> int:
        return self.audio.size // SAMPLE_RATE

    def audio_seconds(self) -> np.ndarray:
        """(seconds, 16000) audio per segment."""
        return self.audio.reshape(self.seconds, SAMPLE_RATE)


def _stream_start(stream) -> float:
    """The stream's first timestamp from the container header (0 when the container has none)."""
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base)


def decode_media(path: str, frames_per_second: int = FRAMES_PER_SECOND, size: int = FRAME_SIZE) -> Media:
    """Decode ``path`` (any container and codecs FFmpeg reads) into aligned 1-second segments."""
    av = _av()
    picker = FramePicker(frames_per_second, size)
    with open_media(path) as container:
        vstream, astream = container.streams.video[0], container.streams.audio[0]
        origin = min(_stream_start(vstream), _stream_start(astream))
        resampler = av.AudioResampler(format="fltp", rate=SAMPLE_RATE)   # keeps the channel layout
        audio, audio_start, frames, video_end = [], None, [], None
        try:
            for packet in container.demux(vstream, astream):
                for frame in packet.decode():
                    if frame.time is None:
                        continue
                    if isinstance(frame, av.AudioFrame):
                        audio_start = float(frame.time) if audio_start is None else audio_start
                        audio += [out.to_ndarray().mean(axis=0) for out in resampler.resample(frame)]
                    else:
                        video_end = _frame_end(frame, vstream)
                        picked = picker.pick(frame, float(frame.time) - origin)
                        if picked is not None:
                            frames.append(picked)
            audio += [out.to_ndarray().mean(axis=0) for out in resampler.resample(None)]
        except av.error.FFmpegError as exc:
            raise InputError(f"media file {path!r}: decoding failed ({exc})") from None
    if video_end is None:
        raise InputError(f"media file {path!r}: its video stream holds no decodable frame")
    if audio_start is None:
        raise InputError(f"media file {path!r}: its audio stream holds no decodable sample")
    samples = np.concatenate(audio).astype(np.float32)
    shift = int(round((audio_start - origin) * SAMPLE_RATE))      # audio starting late: pad; early: cut
    samples = np.concatenate([np.zeros(shift, np.float32), samples]) if shift >= 0 else samples[-shift:]
    seconds = int(math.floor(min(samples.size / SAMPLE_RATE, video_end - origin) + _EPS))
    if seconds < 1:
        raise InputError(f"media file {path!r} is shorter than one second (audio {samples.size / SAMPLE_RATE:.2f} s, "
                         f"video {video_end - origin:.2f} s)")
    frames = [(second, array) for second, array in frames if second < seconds]
    frame_second = np.array([second for second, _ in frames], np.int64)
    empty = sorted(set(range(seconds)) - set(frame_second.tolist()))
    if empty:
        raise InputError(f"media file {path!r}: no video frame in second(s) {empty[:5]} (frame rate below 1/s?)")
    return Media(path, samples[:seconds * SAMPLE_RATE], np.stack([a for _, a in frames]), frame_second)


def iter_video_seconds(path: str, frames_per_second: int = FRAMES_PER_SECOND,
                       size: int = FRAME_SIZE) -> Iterator[np.ndarray]:
    """Frames of a file's video stream (audio not needed), one (F, size, size, 3) uint8 array per full
    second from the stream's first frame; for live use, so nothing but one second is held."""
    av = _av()
    picker = FramePicker(frames_per_second, size)
    with open_media(path, need_audio=False) as container:
        stream = container.streams.video[0]
        origin, current, second, end = None, [], 0, None
        try:
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                origin = float(frame.time) if origin is None else origin
                end = _frame_end(frame, stream) - origin
                picked = picker.pick(frame, float(frame.time) - origin)
                if picked is None:
                    continue
                while picked[0] > second:          # a later second started: the current one is complete
                    if not current:
                        raise InputError(f"media file {path!r}: no video frame in second {second}")
                    yield np.stack(current)
                    current, second = [], second + 1
                current.append(picked[1])
        except av.error.FFmpegError as exc:
            raise InputError(f"media file {path!r}: decoding failed ({exc})") from None
    if current and end is not None and end >= second + 1 - _EPS:
        yield np.stack(current)
