# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Media files → an AVE-format dataset folder, with the terminals' semantic front ends.

Each clip is decoded into N aligned one-second segments (:mod:`.media`). A dataset row is one AVE
"video" of 10 segments: a clip gives ⌈N/10⌉ rows of consecutive seconds; the last row of a clip whose
length is not a multiple of 10 s is padded with all-zero, background-labelled segments.
``sources.tsv`` lists, per row, the clip and how many of its 10 segments are real.

The features are what AVE's release holds (Tian et al., ECCV 2018): audio → VGGish's raw
``vggish/embedding`` (post-ReLU, no PCA, no 8-bit quantisation), segment k of a row from the 0.96 s
example starting 0.96·k s into the row, as AVE framed its 10 s clips (:mod:`.vggish`); frames →
VGG-19 pool5 (7, 7, 512), channels last, averaged over the frames of each second (AVE: 16) (:mod:`.vgg`);
both stored float64 by default, as AVE's ``audio_feature.h5`` and ``visual_feature.h5``. One
difference remains on the visual side: AVE ran Keras' VGG-19 (the original Caffe weights, BGR input
with the ImageNet mean pixel subtracted); here the torchvision VGG-19 state dict with its own
normalisation, whose pool5 maps are distributed differently, so a model trained on AVE's released
visual features should be retrained or fine-tuned on these.

Labels: from an AVE-format ``Annotations.txt`` (a clip's VideoID is its file name without extension;
the event's Start/End apply to the clip's first 10 s, later rows are background), or all background.
All rows go to one split (default ``test``); the other order files are empty.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field

import numpy as np

from .ave import BACKGROUND, SEGMENTS, SPLITS, FeatureWriter, parse_annotations
from .media import FRAMES_PER_SECOND, decode_media, open_media
from ..errors import InputError

log = logging.getLogger("semcom.features")
SOURCES_FILE = "sources.tsv"


@dataclass
class FeatureConfig:
    videos: list                      # media files
    out: str                          # dataset folder to write
    vggish: str                       # vggish-10086976.pth
    vgg19: str                        # vgg19-dcbb9e9d.pth
    annotations: str | None = None    # AVE-format Annotations.txt (labels); None: all background
    device: str = "cpu"
    split: str = "test"               # the order file that lists every row, or 'all' (split_by_clip)
    seed: int = 0                     # split 'all': which clips go where
    frames_per_second: int = FRAMES_PER_SECOND
    visual_dtype: str = "float64"     # AVE's release: float64 (float32 halves the file, float16 quarters it)
    audio_dtype: str = "float64"      # AVE's release: float64
    batch: int = 16                   # frames per VGG-19 forward pass


@dataclass
class FeatureReport:
    rows: int = 0
    seconds: int = 0                  # real one-second segments written
    wall_seconds: float = 0.0
    sources: list = field(default_factory=list)   # (row, clip, first second, real segments)

    @property
    def speed(self) -> float:
        """Seconds of media per second of computing."""
        return self.seconds / self.wall_seconds if self.wall_seconds > 0 else float("inf")


SPLIT_ALL = "all"
HELD_OUT = 0.1                        # split 'all': the share of clips for validation, and for test


def split_by_clip(clips: list, seed: int = 0) -> dict:
    """{split: row indices} for rows whose clips are ``clips`` (one entry per row): a seeded draw of
    the distinct clips, 10 % for validation, 10 % for test (at least one each) and the rest for
    training; all rows of a clip stay in one split, so no clip is both trained and tested on."""
    distinct = sorted(set(clips))
    if len(distinct) < 3:
        raise InputError(f"split 'all' needs at least 3 clips (one each for train, val and test), got "
                         f"{len(distinct)}")
    order = [distinct[i] for i in np.random.default_rng(seed).permutation(len(distinct))]
    held = max(1, round(HELD_OUT * len(distinct)))
    where = {clip: "val" if i < held else "test" if i < 2 * held else "train" for i, clip in enumerate(order)}
    return {split: np.array([row for row, clip in enumerate(clips) if where[clip] == split], np.int64)
            for split in SPLITS}


def clip_id(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def _labels_by_clip(config: FeatureConfig) -> dict:
    """{clip id: (10,) segment labels} from the annotations file; every clip must be listed."""
    if not config.annotations:
        return {}
    annotations = {a.video_id: a for a in parse_annotations(config.annotations)}
    missing = [path for path in config.videos if clip_id(path) not in annotations]
    if missing:
        raise InputError(f"annotations file {config.annotations!r} has no line for VideoID "
                         f"{clip_id(missing[0])!r} (media file {missing[0]!r}; VideoID = file name without extension)")
    return {clip_id(path): annotations[clip_id(path)].segment_labels() for path in config.videos}


def to_rows(features: np.ndarray, seconds: int) -> np.ndarray:
    """(seconds, ...) → (⌈seconds/10⌉, 10, ...), zero-padded at the end."""
    rows = -(-seconds // SEGMENTS)
    padded = np.zeros((rows * SEGMENTS,) + features.shape[1:], np.float32)
    padded[:seconds] = features
    return padded.reshape((rows, SEGMENTS) + features.shape[1:])


def write_features(config: FeatureConfig, progress: bool = True) -> FeatureReport:
    """Decode, extract and write every clip of ``config``; ValueError names the file of any problem."""
    from tqdm import tqdm

    from .vgg import load_vgg19, visual_features
    from .vggish import audio_features, load_vggish

    if not config.videos:
        raise InputError("no media files given")
    if config.split not in SPLITS + (SPLIT_ALL,):
        raise InputError(f"split must be one of {', '.join(SPLITS + (SPLIT_ALL,))}, got {config.split!r}")
    if config.split == SPLIT_ALL and len({clip_id(p) for p in config.videos}) < 3:
        raise InputError("split 'all' needs media files of at least 3 clips (one each for train, val and test)")
    for path in config.videos:                 # cheap checks first: every file opens and has both streams
        open_media(path).close()
    labels = _labels_by_clip(config)
    vggish = load_vggish(config.vggish, config.device)
    vgg = load_vgg19(config.vgg19, config.device)
    report, start = FeatureReport(), time.perf_counter()
    writer = FeatureWriter(config.out, config.visual_dtype, config.audio_dtype)
    try:
        for path in tqdm(config.videos, desc="features", unit="clip", disable=None if progress else True):
            media = decode_media(path, config.frames_per_second)
            n = media.seconds
            audio = audio_features(vggish, media.audio_seconds(), config.device)
            visual = visual_features(vgg, media.frames, media.frame_second, n, config.device, config.batch)
            segment_labels = np.full(-(-n // SEGMENTS) * SEGMENTS, BACKGROUND, np.int64)
            if clip_id(path) in labels:
                segment_labels[:SEGMENTS] = labels[clip_id(path)]
                if n < SEGMENTS and np.any(labels[clip_id(path)][n:] != BACKGROUND):
                    log.warning("%s: %d s long, its annotated event reaches past the end", path, n)
                if n > SEGMENTS:
                    log.warning("%s: %d s long; its annotation covers the first 10 s, the rest is labelled "
                                "background", path, n)
            rows = writer.append(to_rows(audio, n), to_rows(visual, n), segment_labels.reshape(-1, SEGMENTS))
            for i, row in enumerate(rows):
                report.sources.append((row, path, i * SEGMENTS, min(SEGMENTS, n - i * SEGMENTS)))
            report.seconds += n
            log.debug("%s: %d s → rows %d..%d", path, n, rows[0], rows[-1])
        if config.split == SPLIT_ALL:
            writer.write_orders(split_by_clip([clip_id(path) for _, path, _, _ in report.sources], config.seed))
        else:
            writer.write_orders({config.split: np.arange(writer.rows)})
    finally:
        writer.close()
    report.rows, report.wall_seconds = writer.rows, time.perf_counter() - start
    with open(os.path.join(config.out, SOURCES_FILE), "w", encoding="utf-8") as f:
        f.write("row\tvideo_id\tfile\tfirst_second\tsegments\n")
        for row, path, first, segments in report.sources:
            f.write(f"{row}\t{clip_id(path)}\t{os.path.abspath(path)}\t{first}\t{segments}\n")
    return report


def read_sources(folder: str) -> list:
    """Rows of ``sources.tsv``: (row, video id, file, first second, real segments)."""
    with open(os.path.join(folder, SOURCES_FILE), encoding="utf-8") as f:
        lines = f.read().splitlines()[1:]
    return [(int(r), v, p, int(s), int(n)) for r, v, p, s, n in (line.split("\t") for line in lines)]
