# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""A synthetic AVE that behaves like the real features and needs both modalities (docs/data-formats.md).

Labels follow AVE's statistics (28 classes of 60-188 videos each at full size, about two thirds of
events spanning all 10 s, about 17 % background segments) or are taken from an ``Annotations.txt``.
Features imitate the post-ReLU statistics of VGGish (audio, 128-d, mostly zeros) and VGG-19 pool5
(visual, 7×7×512, sparse), built so that one modality alone is not enough:
- classes come in pairs that sound alike (their audio prototypes share a component) and in other
  pairs that look alike, so audio and vision resolve different confusions;
- background segments hold off-screen sounds (the video's event audible, its object not visible)
  and silent objects (visible, not audible), which only the other modality can reject;
- some event segments have a faint sound or a hidden object, which only the other modality finds;
- every video has its own nuisance (gain, audio colour, visual scene) and the object sits at a
  spatial location that changes from video to video;
- in the calibrated preset, every video also sounds and looks its own way: its class prototypes are
  partly replaced by a pattern of its own, the same in all 10 segments, so averaging over time does not
  remove it (the errors it causes are per video, as with real recordings).
Two presets (``PRESETS``): 'calibrated' (the default; tuned so that the paper's networks reach the
accuracies published for real AVE features, docs/data-formats.md) and 'easy' (the generator before that
calibration, array for array).
Writing is streamed in chunks, so the full 4143-video set never sits in memory.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .ave import (AVE_SPLIT_SIZES, BACKGROUND, CLASS_NAMES, FEATURE_FILES, ORDER_FILES, SEGMENTS, SPLITS,
                  Annotation, as_stored, one_hot, parse_annotations)

AUDIO_DIM, GRID, VISUAL_DIM = 128, 7, 512
SETTINGS_FILE = "synth.json"       # the generator's settings, written beside the set


@dataclass
class SynthConfig:
    videos: int = 4143
    seed: int = 0
    annotations: str | None = None   # take labels (and, if the order files sit beside it, the split) from AVE
    visual_dtype: str = "float16"    # float16 halves the 4 GB visual file of the full set
    audio_noise: float = 1.6         # per-segment noise of the audio pre-activation (relative to the event)
    visual_noise: float = 1.3        # per-cell noise of the visual pre-activation
    visual_strength: float = 0.65    # amplitude of the object's pattern in the cells it covers
    audio_pair_similarity: float = 0.8   # share of a class's audio prototype common to its sound-alike pair
    visual_pair_similarity: float = 0.87  # share of a class's visual prototype common to its look-alike pair
    offscreen_fraction: float = 0.55  # background segments that carry the video's sound but not its object
    silent_fraction: float = 0.45    # background segments that show the object without its sound
    quiet_fraction: float = 0.35     # event segments whose sound is faint (the object still visible)
    occluded_fraction: float = 0.25  # event segments whose object is hidden (the sound still audible)
    audio_video_spread: float = 0.0  # share of a video's audio prototype that is its own, not its class's
    visual_video_spread: float = 0.0  # share of a video's visual prototype that is its own
    atypical_variation: float = 0.0  # 0: every video has the spreads above; 1: a video's spreads are both
    #                                  scaled by one factor drawn uniformly from 0..2 (atypical in both)
    preset: str = "easy"             # the name written beside the set (synth.json); set by ``synth_config``


PRESETS = {
    "easy": {},
    # tuned on the validation split with benchmarks/synth_calibration.py (docs/data-formats.md)
    "calibrated": {"audio_video_spread": 0.36, "visual_video_spread": 0.40, "atypical_variation": 1.0,
                   "offscreen_fraction": 0.4, "quiet_fraction": 0.25},
}
DEFAULT_PRESET = "calibrated"


def synth_config(preset: str = DEFAULT_PRESET, **fields) -> SynthConfig:
    """The preset's settings, with ``fields`` (videos, seed, ...) on top."""
    if preset not in PRESETS:
        raise InputError(f"preset must be one of {', '.join(PRESETS)}, got {preset!r}")
    return SynthConfig(**{**PRESETS[preset], **fields, "preset": preset})


class Prototypes:
    """Class prototypes: audio in pairs that sound alike, visual in (other) pairs that look alike."""

    def __init__(self, rng: np.random.Generator, audio_similarity: float, visual_similarity: float):
        classes = len(CLASS_NAMES)
        self.audio = self._paired(rng, classes, AUDIO_DIM, audio_similarity)
        self.visual = self._paired(rng, classes, VISUAL_DIM, visual_similarity)

    @staticmethod
    def _paired(rng: np.random.Generator, classes: int, dim: int, similarity: float) -> np.ndarray:
        """√s·(pair component) + √(1−s)·(own component), scaled to unit RMS per entry."""
        table = np.sqrt(1 - similarity) * rng.standard_normal((classes, dim))
        for a, b in rng.permutation(classes).reshape(-1, 2):
            shared = np.sqrt(similarity) * rng.standard_normal(dim)
            table[a] += shared
            table[b] += shared
        return table / (np.linalg.norm(table, axis=1, keepdims=True) / np.sqrt(dim))


def draw_labels(videos: int, rng: np.random.Generator) -> list:
    """AVE-like events: per-class counts in 60..188 (scaled to ``videos``), 2/3 spanning all 10 s."""
    classes = len(CLASS_NAMES)
    scale = videos / sum(AVE_SPLIT_SIZES.values())
    low, high = max(1, round(60 * scale)), max(1, round(188 * scale))
    counts = rng.integers(low, high + 1, classes)
    while counts.sum() != videos:            # nudge single classes, staying inside the bounds
        c = rng.integers(classes)
        step = 1 if counts.sum() < videos else -1
        if low <= counts[c] + step <= high or not (low * classes <= videos <= high * classes):
            counts[c] = max(counts[c] + step, 0)
    labels = np.repeat(np.arange(classes), counts)
    annotations = []
    for index, label in enumerate(labels):
        if rng.random() < 2 / 3:
            start, end = 0, SEGMENTS
        else:
            length = int(rng.integers(2, 9))
            start = int(rng.integers(0, SEGMENTS - length + 1))
            end = start + length
        annotations.append(Annotation(CLASS_NAMES[label], f"synth{index:05d}", "good", start, end))
    return annotations


def draw_split(videos: int, rng: np.random.Generator) -> dict:
    """AVE's 3339/402/402 proportions over a random permutation."""
    order = rng.permutation(videos)
    total = sum(AVE_SPLIT_SIZES.values())
    n_val = round(videos * AVE_SPLIT_SIZES["val"] / total)
    n_test = round(videos * AVE_SPLIT_SIZES["test"] / total)
    n_train = videos - n_val - n_test
    return {"train": np.sort(order[:n_train]), "val": np.sort(order[n_train:n_train + n_val]),
            "test": np.sort(order[n_train + n_val:])}


def own_prototype(prototype: np.ndarray, spread: float, rng: np.random.Generator) -> np.ndarray:
    """√(1−spread)·(class prototype) + √spread·(a pattern of this video's own): unit RMS kept.
    No random draw at spread 0, so the 'easy' preset's arrays stay as they were."""
    if spread == 0:
        return prototype
    return np.sqrt(1 - spread) * prototype + np.sqrt(spread) * rng.standard_normal(prototype.shape)


def video_features(annotation: Annotation, proto: Prototypes, config: SynthConfig,
                   rng: np.random.Generator) -> tuple:
    """(audio (10, 128), visual (10, 7, 7, 512)) of one video, float32, non-negative."""
    labels = annotation.segment_labels()
    label = annotation.label
    # per video: recording gain and colour, scene, where the object is, how the class sounds and looks here
    gain = rng.uniform(0.7, 1.3)
    audio_colour = 0.6 * rng.standard_normal(AUDIO_DIM)
    scene = 0.7 * rng.standard_normal((GRID, GRID, VISUAL_DIM))
    centre = rng.uniform(1.0, GRID - 2.0, 2)
    atypical = 1.0 if config.atypical_variation == 0 else 1 + config.atypical_variation * (rng.uniform(0, 2) - 1)
    audio_prototype = own_prototype(proto.audio[label], min(1.0, atypical * config.audio_video_spread), rng)
    visual_prototype = own_prototype(proto.visual[label], min(1.0, atypical * config.visual_video_spread), rng)
    audible = labels != BACKGROUND
    visible = labels != BACKGROUND
    background = np.flatnonzero(labels == BACKGROUND)
    kind = rng.random(background.size)
    audible[background[kind < config.offscreen_fraction]] = True               # off-screen sound
    silent = (kind >= config.offscreen_fraction) & (kind < config.offscreen_fraction + config.silent_fraction)
    visible[background[silent]] = True                                          # silent object
    strength = rng.uniform(0.7, 1.2, SEGMENTS)
    event = labels != BACKGROUND
    weak = rng.random(SEGMENTS)
    audio_strength = strength * np.where(event & (weak < config.quiet_fraction), 0.15, 1.0)
    visual_strength = strength * np.where(
        event & (weak >= config.quiet_fraction) & (weak < config.quiet_fraction + config.occluded_fraction), 0.15, 1.0)

    z_audio = (audio_colour - 0.75 + config.audio_noise * rng.standard_normal((SEGMENTS, AUDIO_DIM))
               + (audible * audio_strength)[:, None] * audio_prototype)
    audio = gain * np.maximum(z_audio, 0.0) * 0.26

    drift = centre + 0.3 * rng.standard_normal((SEGMENTS, 2))
    rows, cols = np.meshgrid(np.arange(GRID), np.arange(GRID), indexing="ij")
    blob = np.exp(-((rows[None] - drift[:, 0, None, None]) ** 2 + (cols[None] - drift[:, 1, None, None]) ** 2)
                  / (2 * 1.1 ** 2))                                              # (10, 7, 7)
    z_visual = (scene[None] - 1.6 + config.visual_noise * rng.standard_normal((SEGMENTS, GRID, GRID, VISUAL_DIM))
                + (visible * visual_strength)[:, None, None, None] * config.visual_strength * blob[..., None]
                * visual_prototype)
    visual = np.maximum(z_visual, 0.0) * 0.5
    return audio.astype(np.float32), visual.astype(np.float32)


def write_synthetic(out: str, config: SynthConfig, chunk: int = 64, progress: bool = True) -> dict:
    """Write an AVE-format folder; returns {split: number of videos}. Same config, same bytes."""
    import h5py
    from tqdm import tqdm

    rng = np.random.default_rng(config.seed)
    proto = Prototypes(rng, config.audio_pair_similarity, config.visual_pair_similarity)
    if config.annotations:
        annotations = parse_annotations(config.annotations)
        split = _split_beside(config.annotations, len(annotations)) or draw_split(len(annotations), rng)
    else:
        if config.videos < 3:
            raise InputError(f"videos must be >= 3 (one per split), got {config.videos}")
        annotations = draw_labels(config.videos, rng)
        split = draw_split(config.videos, rng)
    n = len(annotations)
    os.makedirs(out, exist_ok=True)
    dtypes = {"audio": "float32", "visual": config.visual_dtype, "labels": "float32"}
    files = {kind: h5py.File(os.path.join(out, name), "w", libver="earliest")
             for kind, (name, _, _) in FEATURE_FILES.items()}
    try:
        data = {kind: files[kind].create_dataset(key, (n,) + shape, dtype=dtypes[kind], track_times=False,
                                                 chunks=(1,) + shape)
                for kind, (_, key, shape) in FEATURE_FILES.items()}
        for start in tqdm(range(0, n, chunk), desc="synth", unit="chunk", disable=None if progress else True):
            batch = annotations[start:start + chunk]
            audio, visual = zip(*(video_features(a, proto, config, rng) for a in batch))
            data["audio"][start:start + len(batch)] = np.stack(audio)
            data["visual"][start:start + len(batch)] = as_stored(np.stack(visual), data["visual"])
            data["labels"][start:start + len(batch)] = one_hot(np.stack([a.segment_labels() for a in batch]))
    finally:
        for f in files.values():
            f.close()
    for name, (filename, key) in ORDER_FILES.items():
        with h5py.File(os.path.join(out, filename), "w", libver="earliest") as f:
            f.create_dataset(key, data=split[name].astype(np.int64), track_times=False)
    with open(os.path.join(out, "Annotations.txt"), "w", encoding="utf-8") as f:
        for a in annotations:
            f.write(f"{a.category}&{a.video_id}&{a.quality}&{a.start}&{a.end}\n")
    with open(os.path.join(out, SETTINGS_FILE), "w", encoding="utf-8") as f:
        json.dump(dataclasses.asdict(config), f, indent=1)
    return {name: int(split[name].size) for name in SPLITS}


def _split_beside(annotations_path: str, videos: int) -> dict | None:
    """AVE's own split when its order files sit beside the annotations file."""
    import h5py
    folder = os.path.dirname(os.path.abspath(annotations_path))
    paths = {name: os.path.join(folder, filename) for name, (filename, _) in ORDER_FILES.items()}
    if not all(os.path.isfile(p) for p in paths.values()):
        return None
    split = {}
    for name, path in paths.items():
        with h5py.File(path, "r") as f:
            split[name] = np.asarray(f[ORDER_FILES[name][1]], np.int64)
        if split[name].size and split[name].max() >= videos:
            raise InputError(f"{path}: indices up to {split[name].max()} but {annotations_path} has {videos} videos")
    return split
