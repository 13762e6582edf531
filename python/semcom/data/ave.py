# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AVE dataset layout (docs/data-formats.md): class names, Annotations.txt, and the HDF5 feature files.

A dataset folder holds ``audio_feature.h5`` (N, 10, 128), ``visual_feature.h5`` (N, 10, 7, 7, 512)
and ``labels.h5`` (N, 10, 29, one-hot, background at index 28), each in a dataset named
``avadataset``, and ``train_order.h5`` / ``val_order.h5`` / ``test_order.h5`` with row indices in a
dataset named ``order``. Real AVE (the release used by AVE-ECCV18 and PSP) and the synthetic AVE of
:mod:`semcom.data.synth` share it, so one reader serves both.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from ..errors import InputError

CLASS_NAMES = (
    "Church bell", "Male speech, man speaking", "Bark", "Fixed-wing aircraft, airplane",
    "Race car, auto racing", "Female speech, woman speaking", "Helicopter", "Violin, fiddle", "Flute",
    "Ukulele", "Frying (food)", "Truck", "Shofar", "Motorcycle", "Acoustic guitar", "Train horn", "Clock",
    "Banjo", "Goat", "Baby cry, infant cry", "Bus", "Chainsaw", "Cat", "Horse", "Toilet flush",
    "Rodents, rats, mice", "Accordion", "Mandolin",
)
BACKGROUND = 28
LABEL_NAMES = CLASS_NAMES + ("background",)      # by class index
NUM_CLASSES = 29                     # 28 events + background
SEGMENTS = 10                        # one-second segments per video
AUDIO_SHAPE = (SEGMENTS, 128)        # VGGish per second
VISUAL_SHAPE = (SEGMENTS, 7, 7, 512)  # VGG-19 pool5 per second
SPLITS = ("train", "val", "test")
AVE_SPLIT_SIZES = {"train": 3339, "val": 402, "test": 402}

FEATURE_FILES = {"audio": ("audio_feature.h5", "avadataset", AUDIO_SHAPE),
                 "visual": ("visual_feature.h5", "avadataset", VISUAL_SHAPE),
                 "labels": ("labels.h5", "avadataset", (SEGMENTS, NUM_CLASSES))}
ORDER_FILES = {split: (f"{split}_order.h5", "order") for split in SPLITS}
ANNOTATION_HEADER = "Category&VideoID&Quality&StartTime&EndTime"
KEPT_FLOAT32_BYTES = 1 << 30         # a kept split's visual features as float32 up to 1 GiB (AVE's test split: 0.4)


@dataclass(frozen=True)
class Annotation:
    category: str
    video_id: str
    quality: str
    start: int      # first event segment (s)
    end: int        # one past the last event segment (s)

    @property
    def label(self) -> int:
        return CLASS_NAMES.index(self.category)

    def segment_labels(self) -> np.ndarray:
        """(10,) class index per one-second segment: the event inside [start, end), background outside."""
        labels = np.full(SEGMENTS, BACKGROUND, np.int64)
        labels[self.start:self.end] = self.label
        return labels


def parse_annotations(path: str) -> list:
    """Read ``Annotations.txt`` (``Category&VideoID&Quality&Start&End`` per line, header optional)."""
    if not os.path.isfile(path):
        raise InputError(f"annotations file {path!r} does not exist")
    annotations = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or (number == 1 and line.replace(" ", "").lower() == ANNOTATION_HEADER.lower()):
                continue
            fields = line.split("&")
            if len(fields) != 5:
                raise InputError(f"{path}:{number}: expected 5 fields 'Category&VideoID&Quality&Start&End', "
                                 f"got {len(fields)}: {line!r}")
            category, video_id, quality, start, end = fields
            if category not in CLASS_NAMES:
                raise InputError(f"{path}:{number}: unknown category {category!r} (expected one of AVE's 28 classes)")
            try:
                start, end = int(start), int(end)
            except ValueError:
                raise InputError(f"{path}:{number}: Start and End must be whole seconds, got {fields[3]!r}, "
                                 f"{fields[4]!r}") from None
            if not 0 <= start <= end <= SEGMENTS:   # AVE holds one empty event (0&0)
                raise InputError(f"{path}:{number}: expected 0 <= Start <= End <= {SEGMENTS}, got {start}, {end}")
            annotations.append(Annotation(category, video_id, quality, start, end))
    return annotations


def one_hot(segment_labels: np.ndarray) -> np.ndarray:
    """(N, 10) class indices → (N, 10, 29) float32 one-hot."""
    return np.eye(NUM_CLASSES, dtype=np.float32)[segment_labels]


def _h5py():
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py is a Debian dependency of the project
        raise RuntimeError("h5py is needed to read AVE files: apt-get install python3-h5py") from None
    return h5py


def _read_dataset(path: str, key: str, problems: list, use):
    """``use(dataset)`` for dataset ``key`` of HDF5 file ``path``; a missing file or key, or an
    unreadable file, is added to ``problems`` instead (and None returned)."""
    if not os.path.isfile(path):
        problems.append(f"{path}: missing")
        return None
    try:
        with _h5py().File(path, "r") as f:
            if key not in f:
                problems.append(f"{path}: no dataset '{key}' (found {sorted(f.keys())})")
                return None
            return use(f[key])
    except OSError as exc:
        problems.append(f"{path}: not a readable HDF5 file ({exc})")
        return None


def _check_features(path: str, key: str, shape: tuple, kind: str, data, problems: list) -> int | None:
    """Shape, dtype and values of one feature or label dataset; its number of videos if usable."""
    if tuple(data.shape[1:]) != shape:
        problems.append(f"{path}: '{key}' has shape {data.shape}, expected (N, {', '.join(map(str, shape))})")
        return None
    if not np.issubdtype(data.dtype, np.floating):
        problems.append(f"{path}: '{key}' has dtype {data.dtype}, expected float16/32/64")
        return None
    problems += _check_values(path, key, data, kind)
    return data.shape[0]


def check_dataset(folder: str) -> list:
    """Everything wrong with an AVE-format folder, as sentences naming file and field (empty if none)."""
    if not os.path.isdir(folder):
        return [f"{folder}: {'not a folder' if os.path.exists(folder) else 'no such folder'} (an AVE-format "
                "dataset folder holds audio_feature.h5, visual_feature.h5, labels.h5 and the order files)"]
    problems, sizes = [], {}
    for kind, (name, key, shape) in FEATURE_FILES.items():
        path = os.path.join(folder, name)
        size = _read_dataset(path, key, problems,
                             lambda data: _check_features(path, key, shape, kind, data, problems))
        if size is not None:
            sizes[kind] = size
    if len(set(sizes.values())) > 1:
        problems.append("feature files disagree on the number of videos N: "
                        + ", ".join(f"{FEATURE_FILES[k][0]} has {n}" for k, n in sizes.items()))
    n_videos = min(sizes.values()) if sizes else None
    seen = {}
    for split, (name, key) in ORDER_FILES.items():
        path = os.path.join(folder, name)
        order = _read_dataset(path, key, problems, np.asarray)
        if order is None:
            continue
        if order.ndim != 1 or not np.issubdtype(order.dtype, np.integer):
            problems.append(f"{path}: '{key}' must be a 1-D integer array, got shape {order.shape} dtype {order.dtype}")
            continue
        if n_videos is not None and order.size and (order.min() < 0 or order.max() >= n_videos):
            problems.append(f"{path}: '{key}' holds indices {order.min()}..{order.max()}, outside 0..{n_videos - 1}")
        for other, indices in seen.items():
            overlap = np.intersect1d(order, indices)
            if overlap.size:
                problems.append(f"{path}: {overlap.size} videos are also in the {other} split (first: {overlap[0]})")
        seen[split] = order
    return problems


def _check_values(path: str, key: str, data, kind: str, chunk: int = 256) -> list:
    """NaN/Inf in features, one-hot labels; read in chunks so a full-size visual file fits in memory."""
    for start in range(0, data.shape[0], chunk):
        block = np.asarray(data[start:start + chunk], np.float32)
        bad = ~np.isfinite(block)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            return [f"{path}: '{key}' holds NaN or Inf (first at video {start + index[0]}, index {index[1:]})"]
        if kind == "labels":
            ok = np.all((block == 0) | (block == 1), axis=-1) & (block.sum(axis=-1) == 1)
            if not ok.all():
                video, segment = np.argwhere(~ok)[0]
                return [f"{path}: '{key}' is not one-hot at video {start + video}, segment {segment} "
                        f"(each segment needs exactly one 1 among {NUM_CLASSES} classes)"]
    return []


@dataclass
class Split:
    """One split of an AVE-format dataset, in memory: features as float32, labels as class indices."""
    name: str
    indices: np.ndarray   # (N,) rows of the feature files
    audio: np.ndarray     # (N, 10, 128)
    visual: np.ndarray    # (N, 10, 7, 7, 512), float16 or float32 as stored
    labels: np.ndarray    # (N, 10) int64 in 0..28


def read_order(folder: str, split: str) -> np.ndarray:
    from ..phy.checks import require_choice
    require_choice("split", split, SPLITS)
    name, key = ORDER_FILES[split]
    with _h5py().File(os.path.join(folder, name), "r") as f:
        return np.asarray(f[key], np.int64)


def read_labels(folder: str) -> np.ndarray:
    """Every video's segment labels (N, 10), class indices 0..28 (28 = background), from labels.h5;
    InputError naming the file where it is missing or not (N, 10, 29)."""
    name, key, shape = FEATURE_FILES["labels"]
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        raise InputError(f"{path}: missing (an AVE-format dataset folder holds labels.h5)")
    with _h5py().File(path, "r") as f:
        if key not in f or tuple(f[key].shape[1:]) != shape:
            raise InputError(f"{path}: expected a dataset {key!r} of shape (N, {', '.join(map(str, shape))})")
        return np.asarray(f[key]).argmax(axis=-1).astype(np.int64)


def require_valid(folder: str) -> None:
    """Raise ValueError listing every problem of the folder (see :func:`check_dataset`)."""
    problems = check_dataset(folder)
    if problems:
        raise InputError(f"dataset {folder} is not usable:\n  " + "\n  ".join(problems))


def read_rows(dataset, rows: np.ndarray) -> np.ndarray:
    """``dataset[rows]`` for sorted unique ``rows``, one row at a time: h5py's fancy indexing takes
    about 80x longer (11 s instead of 0.14 s for AVE's 402 test videos of visual features)."""
    out = np.empty((len(rows),) + dataset.shape[1:], dataset.dtype)
    for i, row in enumerate(rows):
        dataset.read_direct(out, np.s_[int(row)], np.s_[i])
    return out


def load_split(folder: str, split: str, limit: int | None = None, check: bool = True) -> Split:
    """Read one split (rows in the order file's order); with ``check``, validate the folder first.

    Audio and labels come as float32 / int64; visual keeps its stored type (float16 halves memory).
    In a process that keeps its loads (:func:`semcom.memo.keep_loads`) the same files give the same
    Split object again (its arrays are shared: read them, do not write to them), with float16 visual
    features widened to float32 once where they then take at most ``KEPT_FLOAT32_BYTES`` (every run
    of the process would convert them again to send them).
    """
    from ..memo import kept, keeping

    def read() -> Split:
        loaded = _read_split(folder, split, limit, check)
        if keeping() and loaded.visual.dtype == np.float16 and loaded.visual.size * 4 <= KEPT_FLOAT32_BYTES:
            loaded.visual = loaded.visual.astype(np.float32)
        return loaded
    return kept(("split", os.path.realpath(folder), split, limit), split_files(folder, split), read)


def split_files(folder: str, split: str) -> list:
    """The files a split is read from: the three feature files and the split's order file."""
    files = [os.path.join(folder, name) for name, _, _ in FEATURE_FILES.values()]
    if split in ORDER_FILES:
        files.append(os.path.join(folder, ORDER_FILES[split][0]))
    return files


def _read_split(folder: str, split: str, limit: int | None, check: bool) -> Split:
    if check:
        require_valid(folder)
    indices = read_order(folder, split)[:limit]
    sorted_rows, position = np.unique(indices, return_inverse=True)
    arrays = {}
    h5py = _h5py()
    for kind, (name, key, _) in FEATURE_FILES.items():
        with h5py.File(os.path.join(folder, name), "r") as f:
            rows = read_rows(f[key], sorted_rows)
            kept_type = kind == "visual" and rows.dtype == np.float16
            arrays[kind] = (rows if kept_type else rows.astype(np.float32))[position]
    return Split(split, indices, arrays["audio"], arrays["visual"], arrays["labels"].argmax(axis=-1))


def as_stored(array: np.ndarray, dataset) -> np.ndarray:
    """``array`` in the HDF5 dataset's type, converted by NumPy (IEEE: to nearest, ties to even) rather than
    by HDF5: Debian 12's HDF5 1.10 rounds float32 ties to float16 away from even and, in large writes,
    halved some values that round up to a power of two (0.99998 written as 0.5)."""
    return np.asarray(array).astype(dataset.dtype, copy=False)


class FeatureWriter:
    """Writes an AVE-format folder video by video (rows appended as they come, N not known ahead).

    ``append`` takes one or more videos; ``write_orders`` finishes the folder with the order files.
    """

    def __init__(self, folder: str, visual_dtype: str = "float32", audio_dtype: str = "float32"):
        h5py = _h5py()
        os.makedirs(folder, exist_ok=True)
        self.folder, self.rows = folder, 0
        dtypes = {"audio": audio_dtype, "visual": visual_dtype, "labels": "float32"}
        self.files = {kind: h5py.File(os.path.join(folder, name), "w", libver="earliest")
                      for kind, (name, _, _) in FEATURE_FILES.items()}
        self.data = {kind: self.files[kind].create_dataset(key, (0,) + shape, maxshape=(None,) + shape,
                                                           dtype=dtypes[kind], chunks=(1,) + shape,
                                                           track_times=False)
                     for kind, (_, key, shape) in FEATURE_FILES.items()}

    def append(self, audio: np.ndarray, visual: np.ndarray, segment_labels: np.ndarray) -> range:
        """Add videos: audio (n, 10, 128), visual (n, 10, 7, 7, 512), labels (n, 10) class indices;
        returns their row indices."""
        arrays = {"audio": audio, "visual": visual, "labels": one_hot(np.asarray(segment_labels, np.int64))}
        n = len(arrays["audio"])
        for kind, array in arrays.items():
            if len(array) != n or tuple(array.shape[1:]) != FEATURE_FILES[kind][2]:
                raise InputError(f"{kind}: expected ({n}, {', '.join(map(str, FEATURE_FILES[kind][2]))}), "
                                 f"got {array.shape}")
        for kind, array in arrays.items():
            self.data[kind].resize(self.rows + n, axis=0)
            self.data[kind][self.rows:] = as_stored(array, self.data[kind])
        self.rows += n
        return range(self.rows - n, self.rows)

    def close(self) -> None:
        """Close the feature files (also after an error: then the folder holds no order files)."""
        for f in self.files.values():
            f.close()

    def write_orders(self, split: dict) -> None:
        """Close the feature files and write the order files: {split name: row indices}; a split not
        named gets an empty order."""
        self.close()
        h5py = _h5py()
        for name, (filename, key) in ORDER_FILES.items():
            order = np.asarray(split.get(name, []), np.int64)
            with h5py.File(os.path.join(self.folder, filename), "w", libver="earliest") as f:
                f.create_dataset(key, data=order, track_times=False)
