# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: the receiver's networks (channel decoders, PSP, classifier; TorchScript)."""
from __future__ import annotations

import csv
import io
import os
import time

import numpy as np
import pmt
from gnuradio import gr

from ..data.ave import LABEL_NAMES, NUM_CLASSES
from . import tags
from .item_types import vector
from .torchscript import inference, as_videos, log_device, open_network, warm_up
from .tags import VIDEO
from ..errors import InputError
from ..files import append_text

RESULT_FIELDS = ("position", "video", "segment", "predicted", "class_name", "confidence", "status")
STATUSES = ("ok", "error", "lost")


class multimodal_receiver(gr.sync_block):
    """Detected streams after LS/ZF and the Euler demapper (2L floats per segment): audio on input 0
    and visual on input 1 for a multimodal model, one input for an audio-only or video-only model →
    one class (0-27 events, 28 background) per one-second segment, with ``receiver.pt``.

    Per video it publishes a PDU on ``predictions`` (metadata {video, position, status, pilot_fit,
    fit_threshold}, s32 vector of the 10 classes; pilot_fit: the largest pilot residual over the
    noise's among the video's uplink bursts, from their ``semcom_ls`` tags, -1 where none) and, if
    ``results_file`` is set, appends one CSV row per segment. Videos are identified by the
    ``semcom_video`` tags of :class:`feature_source`; :meth:`summary` lists the videos that never
    arrived, or arrived without a user's burst (a ``semcom_lost`` tag of
    :class:`slot_aligner`: status ``lost``, not decoded). A video with a ``semcom_error`` tag on the
    way is decoded and marked ``error``. A video that arrives alone (streaming) is decoded beside a zero
    video, so that it gets the classes and confidences it would get in a batch; ``pad_lone_video``
    False decodes it alone instead (about 1 ms less per video at one torch thread on the development
    machine; PyTorch then takes another convolution path, whose last bits differ from a batch's).

    ``resume``: an existing ``results_file`` is continued, not overwritten: its rows stay (a torn last
    line from a killed run is cut), its decoded videos count as received (not lost) and are not
    written again, and :meth:`summary` says how many were resumed. A results file that cannot take more
    rows (a full disk) ends the flowgraph: the rows before stay whole, ``failure`` says why (logged), and
    the videos whose rows were not written count as not received.

    ``device``: 'auto' (the GPU where PyTorch sees one, else the CPU), 'cpu' or 'cuda'.
    """

    def __init__(self, model: str = "", symbols: int = 0, results_file: str = "", torch_threads: int = 0,
                 resume: bool = False, pad_lone_video: bool = True, keep_results: bool = True, device: str = "auto"):
        self.model, self.network, self.device = open_network(model, "receiver", symbols, torch_threads,
                                                             device=device)
        self.segments, self.d = self.model.segments, 2 * self.model.symbols
        inputs = 2 if self.model.modality == "av" else 1
        warm_up(self.network, self.device, (1, self.segments, self.d), (1, self.segments, self.d))
        gr.sync_block.__init__(self, name="semcom_multimodal_receiver",
                               in_sig=[vector(np.float32, self.d)] * inputs, out_sig=None)
        self.set_output_multiple(self.segments)
        self._port = pmt.intern("predictions")
        self.message_port_register_out(self._port)
        log_device(self, "receiver.pt", self.device)
        self.results = []              # one dict per received video (with keep_results)
        self.keep_results = bool(keep_results)
        self.seen = Positions()        # the videos that arrived (lost or not), and those decoded
        self.decoded = Positions()
        self.errors = 0                # videos decoded from a burst marked semcom_error
        self.expected = 0              # videos the source announced (``count`` of its tags)
        self.results_file = results_file
        self.pad_lone_video = bool(pad_lone_video)
        self.resumed = 0               # videos taken over from an existing results file
        self.failure = ""              # why the results file could not take more rows (the flowgraph then ends)
        if results_file:
            folder = os.path.dirname(os.path.abspath(results_file))
            if not os.path.isdir(folder):
                raise InputError(f"results_file {results_file!r}: folder {folder} does not exist")
            if resume and os.path.isfile(results_file) and os.path.getsize(results_file) > 0:
                earlier = read_results(results_file, self.segments)
                self.record(earlier)
                self.resumed = len(earlier)
            else:
                with open(results_file, "w", newline="") as f:
                    csv.writer(f).writerow(RESULT_FIELDS)

    def work(self, input_items, output_items):
        import torch
        count = len(input_items[0]) // self.segments * self.segments
        if count == 0:
            return 0
        streams = [as_videos(x[:count], self.segments, (self.d,), self.device) for x in input_items]
        finite = np.logical_and.reduce([f for _, f in streams])
        with inference():
            audio = streams[0][0]
            visual = streams[-1][0]
            videos = audio.shape[0]
            if videos == 1 and self.pad_lone_video:
                # one video (streaming) runs beside a zero video: PyTorch's CPU convolution takes a slower
                # path for a batch of one (native im2col, not oneDNN; 4.3 vs 3.3 ms for this network at one
                # thread) whose results also differ in the last bits from the same video's in a batch
                audio, visual = (torch.cat([x, torch.zeros_like(x)]) for x in (audio, visual))
            probabilities = torch.softmax(self.network(audio, visual)[0][:videos], dim=-1)
        confidence, predicted = probabilities.max(dim=-1)
        confidence, predicted = confidence.cpu().numpy(), predicted.cpu().numpy().astype(np.int64)
        videos = tags.values_by_item(self, 0, count, VIDEO)
        errors, lost, fit, fit_threshold = set(), set(), {}, 0.0
        for port in range(len(input_items)):
            errors |= {item // self.segments for item in tags.values_by_item(self, port, count, tags.ERROR)}
            lost |= {item // self.segments for item in tags.values_by_item(self, port, count, tags.LOST)}
            for item, info in tags.values_by_item(self, port, count, tags.LS_INFO).items():
                if isinstance(info, dict) and "fit" in info:     # the uplink's pilot fit, worst per video
                    fit[item // self.segments] = max(fit.get(item // self.segments, -1.0), float(info["fit"]))
                    fit_threshold = float(info.get("fit_threshold", 0.0))
        rows, received = [], []
        now = time.monotonic()
        for v in range(count // self.segments):
            info = tags.video_info(videos.get(v * self.segments)) or {"position": -1, "video": -1, "count": 0}
            position, video = info["position"], info["video"]
            self.expected = max(self.expected, info["count"])
            if self.resumed and position in self.decoded:
                continue                                   # decoded before the restart: in the file already
            status = "lost" if v in lost else "ok" if finite[v] and v not in errors else "error"
            classes = predicted[v].tolist()
            received.append({"position": position, "video": video, "predicted": predicted[v],
                             "confidence": confidence[v], "status": status, "received_at": now})
            meta = pmt.to_pmt({"video": video, "position": position, "status": status,
                               "pilot_fit": fit.get(v, -1.0), "fit_threshold": fit_threshold})
            self.message_port_pub(self._port, pmt.cons(meta, pmt.init_s32vector(self.segments, classes)))
            if not self.results_file:
                continue
            if status == "lost":
                rows += [(position, video, s, -1, "", "", status) for s in range(self.segments)]
            else:
                rows += [(position, video, s, c, LABEL_NAMES[c], f"{p:.4f}", status)
                         for s, (c, p) in enumerate(zip(classes, confidence[v].tolist()))]
        if self.results_file:
            text = io.StringIO()
            csv.writer(text).writerows(rows)
            try:
                append_text(self.results_file, text.getvalue())
            except OSError as exc:      # a full disk: these videos are not recorded, and the flowgraph ends
                self.failure = f"results_file {exc.filename}: {exc.strerror}"
                self.logger.error(self.failure)
                return -1                      # WORK_DONE
        self.record(received)
        return count

    def record(self, videos: list) -> None:
        """Count ``videos`` (result dicts) as arrived, and keep them with ``keep_results``. Without it the
        receiver holds two bytes per video position, whatever the length of the stream."""
        for r in videos:
            self.seen.add(r["position"])
            if r["status"] != "lost":
                self.decoded.add(r["position"])
            self.errors += r["status"] == "error"
        if self.keep_results:
            self.results.extend(videos)

    def summary(self) -> dict:
        """Videos the source announced, received, and the positions of those lost on the way."""
        return {"expected": self.expected, "received": len(self.decoded), "lost": self.decoded.missing(self.expected),
                "errors": self.errors, "resumed": self.resumed}

    def predictions(self) -> dict:
        """{position: (10,) predicted classes} of every video received whole (with keep_results)."""
        return {r["position"]: r["predicted"] for r in self.results if r["status"] != "lost"}


class Positions:
    """A set of video positions (whole numbers >= 0; others are ignored), one byte per position."""

    def __init__(self):
        self.bits = np.zeros(0, bool)

    def add(self, position: int) -> None:
        if position < 0:
            return
        if position >= self.bits.size:
            self.bits = np.concatenate([self.bits, np.zeros(max(position + 1, 2 * self.bits.size) - self.bits.size,
                                                            bool)])
        self.bits[position] = True

    def __contains__(self, position: int) -> bool:
        return 0 <= position < self.bits.size and bool(self.bits[position])

    def __len__(self) -> int:
        return int(self.bits.sum())

    def missing(self, count: int) -> list:
        """The positions 0..count-1 not in the set."""
        found = np.zeros(count, bool)
        found[:min(count, self.bits.size)] = self.bits[:count]
        return np.flatnonzero(~found).tolist()


def read_results(path: str, segments: int) -> list:
    """The videos of an existing results file, as :meth:`multimodal_receiver.work` records them; a torn
    last line (a killed receiver) and a video with fewer than ``segments`` rows are cut from the file."""
    with open(path, newline="") as f:
        text = f.read()
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines = lines[:-1]
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None or tuple(header) != RESULT_FIELDS:
        raise InputError(f"{path}: not a receiver results file (header {header}, expected {','.join(RESULT_FIELDS)})")
    rows = list(reader)
    videos, keep = [], 1
    for start in range(0, len(rows) - len(rows) % segments, segments):
        chunk = rows[start:start + segments]
        try:
            position, video, status = int(chunk[0][0]), int(chunk[0][1]), chunk[0][6]
            predicted = np.array([int(r[3]) for r in chunk], np.int64)
            confidence = np.array([float(r[5]) if r[5] else np.nan for r in chunk], np.float32)
            numbers = [(int(r[0]), int(r[2])) for r in chunk]
        except (ValueError, IndexError, OverflowError) as exc:
            raise InputError(f"{path}: row {start + 2} is not a results row ({exc})") from None
        lost = status == "lost"
        if (status not in STATUSES or position < -1 or video < -1 or any(r[6] != status for r in chunk)
                or not ((predicted == -1).all() if lost else ((predicted >= 0) & (predicted < NUM_CLASSES)).all())):
            raise InputError(f"{path}: rows {start + 2}-{start + segments + 1} are not a results row per segment "
                             f"(status one of {', '.join(STATUSES)}, class 0..{NUM_CLASSES - 1}, or -1 when lost)")
        if numbers != [(position, s) for s in range(segments)]:
            raise InputError(f"{path}: rows {start + 2}-{start + segments + 1} are not the {segments} segments of one "
                             "video")
        videos.append({"position": position, "video": video, "predicted": predicted, "confidence": confidence,
                       "status": status, "received_at": None})
        keep += segments
    if keep != len(lines):
        with open(path, "w", newline="") as f:
            f.writelines(lines[:keep])
    return videos
