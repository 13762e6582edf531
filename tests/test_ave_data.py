# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""AVE data: the reader on AVE's real metadata (Annotations.txt, order and label files: the folder in
SEMCOM_AVE_METADATA, by default shared/ave beside the checkout), the dataset checker, the synthetic AVE."""
import hashlib
import json
import os
import shutil

import h5py
import numpy as np
import pytest

from gnuradio.semcom.data.ave import (BACKGROUND, CLASS_NAMES, FeatureWriter, check_dataset, load_split,
                                      parse_annotations, read_order)
from gnuradio.semcom.data.synth import SynthConfig, draw_labels, own_prototype, synth_config, write_synthetic
from gnuradio.semcom.errors import InputError

AVE = os.environ.get("SEMCOM_AVE_METADATA",
                     os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "ave"))
needs_ave = pytest.mark.skipif(not os.path.isfile(os.path.join(AVE, "Annotations.txt")),
                               reason=f"AVE's metadata files not found in {AVE} (set SEMCOM_AVE_METADATA)")


def h5(path, key):
    with h5py.File(path, "r") as f:
        return np.asarray(f[key])


@needs_ave
def test_real_split_sizes_and_disjoint_orders():
    orders = {s: read_order(AVE, s) for s in ("train", "val", "test")}
    assert {s: o.size for s, o in orders.items()} == {"train": 3339, "val": 402, "test": 402}
    assert np.array_equal(np.sort(np.concatenate(list(orders.values()))), np.arange(4143))


@needs_ave
def test_class_order_matches_mil_labels():
    annotations = parse_annotations(os.path.join(AVE, "Annotations.txt"))
    assert len(annotations) == 4143
    mil = h5(os.path.join(AVE, "mil_labels.h5"), "avadataset")
    assert mil.shape == (4143, 29)
    np.testing.assert_array_equal(mil.argmax(axis=1), [a.label for a in annotations])


@needs_ave
def test_segment_labels_match_labels_closs():
    annotations = parse_annotations(os.path.join(AVE, "Annotations.txt"))
    closs = h5(os.path.join(AVE, "labels_closs.h5"), "avadataset")
    events = np.stack([a.segment_labels() != BACKGROUND for a in annotations])
    np.testing.assert_array_equal(events, closs.astype(bool))


@needs_ave
def test_annotations_with_header_line_read_the_same(tmp_path):
    lines = open(os.path.join(AVE, "Annotations.txt"), encoding="utf-8").read().splitlines()[:50]
    plain, header = tmp_path / "plain.txt", tmp_path / "header.txt"
    plain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    header.write_text("Category&VideoID&Quality&StartTime&EndTime\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert parse_annotations(str(plain)) == parse_annotations(str(header))


@pytest.mark.parametrize("line,message", [
    ("Church bell&abc&good&0", "expected 5 fields"),
    ("Choir&abc&good&0&10", "unknown category 'Choir'"),
    ("Bark&abc&good&zero&10", "Start and End must be whole seconds"),
    ("Bark&abc&good&7&3", "expected 0 <= Start <= End <= 10, got 7, 3"),
])
def test_bad_annotation_lines_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "Annotations.txt"
    path.write_text("Bark&ok&good&0&10\n" + line + "\n")
    with pytest.raises(ValueError, match=f"Annotations.txt:2: {message}"):
        parse_annotations(str(path))


def test_label_statistics_at_full_size():
    annotations = draw_labels(4143, np.random.default_rng(0))
    counts = np.bincount([a.label for a in annotations], minlength=28)
    assert counts.sum() == 4143 and counts.min() >= 60 and counts.max() <= 188
    labels = np.stack([a.segment_labels() for a in annotations])
    assert np.mean(labels == BACKGROUND) == pytest.approx(0.17, abs=0.03)
    assert np.mean((labels != BACKGROUND).all(axis=1)) == pytest.approx(2 / 3, abs=0.05)


@pytest.fixture(scope="module")
def synth_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth")
    write_synthetic(str(folder), SynthConfig(videos=90, seed=5), progress=False)
    return folder


def test_synthetic_set_passes_the_checker_and_looks_like_ave(synth_folder):
    assert check_dataset(str(synth_folder)) == []
    split = load_split(str(synth_folder), "train")
    assert split.audio.shape[1:] == (10, 128) and split.visual.shape[1:] == (10, 7, 7, 512)
    assert split.audio.min() >= 0 and split.visual.min() >= 0                  # post-ReLU
    assert 0.55 < np.mean(split.audio == 0) < 0.8                              # real AVE audio: about 65 % zeros
    assert 0.05 < split.audio.mean() < 0.2                                     # real AVE audio: mean about 0.12
    assert np.mean(split.visual == 0) > 0.7                                    # pool5 is sparse
    annotations = parse_annotations(os.path.join(str(synth_folder), "Annotations.txt"))
    np.testing.assert_array_equal(split.labels, [annotations[i].segment_labels() for i in split.indices])


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, synth_folder):
    write_synthetic(str(tmp_path / "again"), SynthConfig(videos=90, seed=5), progress=False)
    write_synthetic(str(tmp_path / "other"), SynthConfig(videos=90, seed=6), progress=False)

    def digest(folder, name):
        with open(os.path.join(folder, name), "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    for name in os.listdir(synth_folder):
        assert digest(synth_folder, name) == digest(tmp_path / "again", name), name
    assert digest(synth_folder, "visual_feature.h5") != digest(tmp_path / "other", "visual_feature.h5")


def array_digests(folder) -> dict:
    digests = {}
    for name, key in (("audio_feature.h5", "avadataset"), ("visual_feature.h5", "avadataset"),
                      ("labels.h5", "avadataset"), ("train_order.h5", "order")):
        digests[name] = hashlib.sha256(np.ascontiguousarray(h5(os.path.join(folder, name), key)).tobytes()).hexdigest()
    return digests


def test_easy_preset_gives_the_arrays_of_the_generator_before_calibration(tmp_path):
    """Sets made before the calibrated preset stay reproducible by name: the digests of the arrays that the
    generator of that time wrote for 60 videos, seed 5, on Debian 13 (computed then, with its code; on
    Debian 12 its visual file differed in 752 of 15 million values, which that release's HDF5 rounded
    to float16 wrongly)."""
    write_synthetic(str(tmp_path), synth_config("easy", videos=60, seed=5), progress=False)
    assert array_digests(tmp_path) == {
        "audio_feature.h5": "16880792d0c2c1a6580abbe26453aec3bb7ef37b95dd742aa2eb0981116bb043",
        "visual_feature.h5": "a0987ad217884986cb8c00ca0bb4ee70b8cae2d29efcf258c9c97ba322fe5d98",
        "labels.h5": "29d7f110df6d13e71398748d3a25756d34bb1c2465770d1d1f4e1f0879d2c7cf",
        "train_order.h5": "4dd7781b4dec54f414bce32586361c1f63d1b8fdf828bb44d77350b3df0c62c1"}


@pytest.fixture(scope="module")
def calibrated_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calibrated")
    write_synthetic(str(folder), synth_config("calibrated", videos=90, seed=5), progress=False)
    return folder


def test_calibrated_preset_is_deterministic_and_keeps_the_real_shapes_and_audio_statistics(tmp_path,
                                                                                             calibrated_folder):
    assert check_dataset(str(calibrated_folder)) == []
    split = load_split(str(calibrated_folder), "train")
    assert split.audio.shape[1:] == (10, 128) and split.visual.shape[1:] == (10, 7, 7, 512)
    assert split.audio.min() >= 0 and split.visual.min() >= 0
    assert 0.55 < np.mean(split.audio == 0) < 0.8                              # real AVE audio: about 65 % zeros
    assert 0.05 < split.audio.mean() < 0.2                                     # real AVE audio: mean about 0.12
    assert np.mean(split.visual == 0) > 0.7
    labels = h5(os.path.join(str(calibrated_folder), "labels.h5"), "avadataset").argmax(-1)
    assert np.mean(labels == BACKGROUND) == pytest.approx(0.17, abs=0.06)     # real AVE: 17.1 %
    with open(os.path.join(str(calibrated_folder), "synth.json")) as f:
        settings = json.load(f)
    assert settings["preset"] == "calibrated" and settings["audio_video_spread"] > 0
    write_synthetic(str(tmp_path / "again"), synth_config("calibrated", videos=90, seed=5), progress=False)
    write_synthetic(str(tmp_path / "easy"), synth_config("easy", videos=90, seed=5), progress=False)
    assert array_digests(tmp_path / "again") == array_digests(calibrated_folder)
    easy, calibrated = array_digests(tmp_path / "easy"), array_digests(calibrated_folder)
    assert easy["labels.h5"] == calibrated["labels.h5"]                       # same events, other features
    assert easy["audio_feature.h5"] != calibrated["audio_feature.h5"]


def test_float16_features_are_rounded_to_nearest_whatever_hdf5_the_release_has(tmp_path):
    """float32 → float16 as IEEE rounds (to nearest, ties to even). Debian 12's HDF5 rounds ties away
    (0x1.432p-4 became 0x1.434p-4) and, in the synthetic set's large writes, halved some values that
    round up to a power of two (0.99998 became 0.5)."""
    values = np.array([float.fromhex("0x1.432p-4"), 0.9999751, 0.4999392, 1 / 3], np.float32)
    visual = np.zeros((1, 10, 7, 7, 512), np.float32)
    visual.flat[:4] = values
    writer = FeatureWriter(str(tmp_path / "features"), visual_dtype="float16")
    writer.append(np.zeros((1, 10, 128), np.float32), visual, np.zeros((1, 10)))
    writer.close()
    stored = h5(str(tmp_path / "features" / "visual_feature.h5"), "avadataset")
    expected = [float.fromhex("0x1.430p-4"), 1.0, 0.5, 1365 / 4096]
    np.testing.assert_array_equal(stored.reshape(-1)[:4].astype(np.float64), expected)
    for dtype in ("float16", "float32"):
        write_synthetic(str(tmp_path / dtype), synth_config(videos=12, seed=3, visual_dtype=dtype), progress=False)
    np.testing.assert_array_equal(h5(str(tmp_path / "float16" / "visual_feature.h5"), "avadataset"),
                                  h5(str(tmp_path / "float32" / "visual_feature.h5"), "avadataset").astype(np.float16))


def test_own_prototype_keeps_the_power_and_shares_sqrt_one_minus_spread_with_the_class():
    rng = np.random.default_rng(2)
    prototype = rng.standard_normal(200_000)
    for spread in (0.2, 0.5, 0.9):
        own = own_prototype(prototype, spread, rng)
        assert np.mean(own ** 2) == pytest.approx(1.0, abs=0.02)
        assert np.corrcoef(own, prototype)[0, 1] == pytest.approx(np.sqrt(1 - spread), abs=0.01)
    state = rng.bit_generator.state
    assert own_prototype(prototype, 0.0, rng) is prototype and rng.bit_generator.state == state


def test_unknown_preset_is_named():
    with pytest.raises(InputError, match="preset must be one of easy, calibrated, got 'hard'"):
        synth_config("hard")


def test_synthetic_from_annotations_keeps_events(tmp_path):
    path = tmp_path / "Annotations.txt"
    path.write_text("Bark&a&good&0&10\nCat&b&good&2&5\nHorse&c&good&4&9\nBus&d&good&0&10\n")
    write_synthetic(str(tmp_path / "out"), SynthConfig(annotations=str(path), seed=1), progress=False)
    labels = h5(str(tmp_path / "out" / "labels.h5"), "avadataset").argmax(-1)
    assert labels[1].tolist() == [28, 28, 22, 22, 22, 28, 28, 28, 28, 28]
    assert CLASS_NAMES[labels[0, 0]] == "Bark"


@needs_ave
def test_synthetic_from_annotations_rejects_order_files_of_another_size(tmp_path):
    path = tmp_path / "Annotations.txt"
    path.write_text("".join(open(os.path.join(AVE, "Annotations.txt")).readlines()[:20]))
    for split in ("train", "val", "test"):
        shutil.copy(os.path.join(AVE, f"{split}_order.h5"), tmp_path)
    with pytest.raises(ValueError, match="train_order.h5: indices up to 4142 but .* has 20 videos"):
        write_synthetic(str(tmp_path / "out"), SynthConfig(annotations=str(path)), progress=False)


def corrupt(folder, name, key, data):
    with h5py.File(os.path.join(folder, name), "w") as f:
        f.create_dataset(key, data=data)


@pytest.mark.parametrize("damage,message", [
    (lambda d: os.remove(os.path.join(d, "labels.h5")), "labels.h5: missing"),
    (lambda d: corrupt(d, "audio_feature.h5", "features", np.zeros((90, 10, 128))), "no dataset 'avadataset'"),
    (lambda d: corrupt(d, "audio_feature.h5", "avadataset", np.zeros((90, 10, 64))),
     r"has shape \(90, 10, 64\), expected \(N, 10, 128\)"),
    (lambda d: corrupt(d, "labels.h5", "avadataset", np.full((90, 10, 29), 0.5)),
     "is not one-hot at video 0, segment 0"),
    (lambda d: corrupt(d, "test_order.h5", "order", np.array([3, 95])), "indices 3..95, outside 0..89"),
    (lambda d: corrupt(d, "audio_feature.h5", "avadataset", np.full((90, 10, 128), np.nan)),
     "holds NaN or Inf \\(first at video 0"),
    (lambda d: open(os.path.join(d, "visual_feature.h5"), "wb").write(b"\x89HDF\r\n\x1a\n" + b"\0" * 64),
     "visual_feature.h5: not a readable HDF5 file"),
    (lambda d: corrupt(d, "labels.h5", "avadataset", np.eye(29, dtype=np.float32)[np.zeros((80, 10), int)]),
     "feature files disagree on the number of videos N"),
])
def test_checker_names_file_and_field(tmp_path, synth_folder, damage, message):
    folder = tmp_path / "bad"
    shutil.copytree(synth_folder, folder)
    damage(str(folder))
    problems = check_dataset(str(folder))
    assert any(__import__("re").search(message, p) for p in problems), problems
    with pytest.raises(ValueError, match="is not usable"):
        load_split(str(folder), "test")
