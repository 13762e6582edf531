# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block (QT GUI): what the receiver decides for each second of the current video, beside
the truth, with the running segment accuracy and the state of the pilot-fit check."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace

import pmt
from gnuradio import gr

from ..data.ave import read_labels
from ..user_data import data_folder


@dataclass(frozen=True)
class TimelineState:
    """What the view draws: the latest video, the counts so far and the latest pilot fit."""
    position: int = -1                 # the video's place in the stream (0, 1, ...); -1: none yet
    video: int = -1                    # its dataset row
    status: str = ""                   # the receiver's: ok, error or lost
    decided: tuple = ()                # class per second (empty for a lost video)
    truth: tuple = ()                  # class per second from labels.h5
    videos: int = 0                    # videos received (not lost)
    lost: int = 0
    correct: int = 0                   # segments decided right so far
    segments: int = 0                  # segments decided so far
    fitted: int = 0                    # videos whose uplink pilot fit arrived
    misfits: int = 0                   # those whose worst burst was above the threshold
    fit: float = float("nan")          # the latest such video's worst residual over the noise's
    fit_threshold: float = 0.0
    recent: tuple = field(default=())  # right (1) or wrong (0) per segment, the last videos, oldest first

    @property
    def accuracy(self) -> float:
        return self.correct / self.segments if self.segments else float("nan")

    def summary(self) -> str:
        """The running accuracy line."""
        if not self.segments:
            return f"no video decided yet ({self.lost} lost)" if self.lost else "waiting for the first video"
        return (f"segment accuracy {self.accuracy:.3f} ({self.correct} of {self.segments} segments); "
                f"videos received {self.videos}, lost {self.lost}")

    def pilot_fit(self) -> str:
        """The pilot-fit line ('' before the first estimate)."""
        if not self.fitted:
            return ""
        limit = f"threshold {self.fit_threshold:g}x" if self.fit_threshold else "check off"
        return (f"pilot fit: latest video's worst residual {self.fit:.2f}x the noise's ({limit}); "
                f"{self.misfits} of {self.fitted} videos did not fit")


class event_timeline(gr.basic_block):
    """Message sink with a Qt view. ``predictions``: the multimodal receiver's per-video PDUs
    ({video, position, status, pilot_fit, fit_threshold}, the 10 decided classes); the true classes
    come from ``labels.h5`` of the dataset folder ``data`` ('' = the demo's). One input only: GNU
    Radio ends a message block when its first upstream block ends, and the receiver ends last.
    :meth:`qwidget` gives the view (created on first call, in the Qt thread); :meth:`state` the numbers."""

    RECENT_VIDEOS = 20

    def __init__(self, data: str = ""):
        gr.basic_block.__init__(self, name="semcom_event_timeline", in_sig=None, out_sig=None)
        self.folder = data_folder(data)
        self.labels = read_labels(self.folder)
        self._state = TimelineState()
        self._lock = threading.Lock()
        self._view = None
        self.message_port_register_in(pmt.intern("predictions"))
        self.set_msg_handler(pmt.intern("predictions"), self.on_predictions)

    def state(self) -> TimelineState:
        with self._lock:
            return self._state

    def on_predictions(self, message) -> None:
        meta = pmt.to_python(pmt.car(message)) if pmt.is_pair(message) else None
        if not isinstance(meta, dict):
            self.logger.warn("predictions: expected a PDU (dict, s32 vector) from multimodal_receiver; ignored")
            return
        video, position, status = int(meta.get("video", -1)), int(meta.get("position", -1)), str(meta.get("status"))
        truth = tuple(int(c) for c in self.labels[video]) if 0 <= video < len(self.labels) else ()
        if not truth:
            self.logger.warn(f"predictions: video {video} is not a row of {self.folder}/labels.h5; shown without "
                             "the truth, not counted")
        decided = () if status == "lost" else tuple(int(c) for c in pmt.s32vector_elements(pmt.cdr(message)))
        fit, threshold = float(meta.get("pilot_fit", -1.0)), float(meta.get("fit_threshold", 0.0))
        with self._lock:
            s = self._state
            right = [int(a == b) for a, b in zip(decided, truth)] if truth else []
            self._state = replace(
                s, position=position, video=video, status=status, decided=decided, truth=truth,
                videos=s.videos + (status != "lost"), lost=s.lost + (status == "lost"),
                correct=s.correct + sum(right), segments=s.segments + len(right),
                recent=(s.recent + (tuple(right),))[-self.RECENT_VIDEOS:] if right else s.recent)
            if fit >= 0:
                self._state = replace(self._state, fitted=s.fitted + 1, fit=fit, fit_threshold=threshold,
                                      misfits=s.misfits + bool(threshold and fit > threshold))
        self._changed()

    def _changed(self) -> None:
        if self._view is not None:
            self._view.changed.emit()          # queued to the Qt thread

    def qwidget(self):
        """The view (a QWidget), for the flowgraph's Qt layout."""
        if self._view is None:
            from .event_timeline_view import EventTimelineView
            self._view = EventTimelineView(self.state)
        return self._view
