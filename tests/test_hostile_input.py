# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bytes from outside, generated (hypothesis): every reader ends in the module's InputError or a counted,
logged drop, never another exception, a hang, or a value out of its range.

The readers: the over-the-air frame header and its CRC, the CURVE link's burst message, the stream tags
a plain gr-zeromq peer may send, a receiver's results file being resumed, manifest.json, pilot .npy
files, the AVE h5 files. SEMCOM_HYPOTHESIS_EXAMPLES sets the examples per test (200 by default)."""
import json
import math
import os
import shutil
import struct
import tempfile
import zlib

import numpy as np
import pmt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gnuradio.semcom.errors import InputError

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("SEMCOM_HYPOTHESIS_EXAMPLES", "200"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# any JSON value, as a peer or an editor may write it
JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False)
                    | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                 max_size=4), max_leaves=12)
# any value a PMT tag may carry (PMT has NaN and Inf, JSON has not)
TAG_VALUE = st.recursive(st.none() | st.booleans() | st.integers(-2**62, 2**62) | st.floats() | st.text(max_size=8)
                         | st.complex_numbers(allow_nan=True),
                         lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                             st.sampled_from(["position", "video", "count", "user", "burst", "scale", "x"]), inner,
                             max_size=5), max_leaves=10)


# --- the over-the-air frame header -------------------------------------------------------------------
@SETTINGS
@given(position=st.integers(0, 2**32 - 1), count=st.integers(0, 2**32 - 1), video=st.integers(-1, 2**31 - 1),
       user=st.integers(0, 3), scale=st.floats(1e-6, 1e6))
def test_ota_header_round_trip(position, count, video, user, scale):
    from gnuradio.semcom.phy.ota import header_bits, parse_header
    header = parse_header(header_bits(position, count, video, user, scale))
    assert header == {"position": position, "count": count, "video": video, "user": user,
                      "scale": struct.unpack("<f", struct.pack("<f", scale))[0]}


@SETTINGS
@given(flips=st.sets(st.integers(0, 8 * 21 - 1), min_size=1, max_size=3), scale=st.floats(0.01, 100))
def test_ota_header_with_up_to_three_wrong_bits_is_refused(flips, scale):
    """CRC-32 has a Hamming distance above 3 at this length: 1 to 3 flipped bits never pass."""
    from gnuradio.semcom.phy.ota import HEADER_BITS, header_bits, parse_header
    bits = header_bits(7, 20, 1234, 1, scale)
    assert bits.size == HEADER_BITS
    bits[list(flips)] ^= 1
    assert parse_header(bits) is None


@SETTINGS
@given(body=st.binary(min_size=17, max_size=17), length=st.sampled_from([0, 8, 160, 168, 176]))
def test_ota_header_from_any_bits_is_refused_or_in_range(body, length):
    """A header whose CRC holds (as a forger makes it) still needs a finite positive scale and a user
    0..3; bits of another length are refused."""
    from gnuradio.semcom.phy.ota import HEADER_BITS, parse_header
    raw = body + struct.pack("<I", zlib.crc32(body))
    bits = np.unpackbits(np.frombuffer(raw, np.uint8))[:length] if length != HEADER_BITS else \
        np.unpackbits(np.frombuffer(raw, np.uint8))
    header = parse_header(bits)
    if header is not None:
        assert bits.size == HEADER_BITS and 0 <= header["user"] <= 3 and header["video"] >= -1
        assert math.isfinite(header["scale"]) and header["scale"] > 0


@settings(max_examples=max(EXAMPLES // 4, 20), deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), samples=st.integers(0, 20000), level=st.sampled_from([0.0, 1e-3, 1.0, 1e6]))
def test_ota_demodulator_on_noise_finds_nothing_or_drops_it(seed, samples, level):
    """Noise (or silence, or huge samples) in front of the demodulator: it keeps searching, consumes what
    it has searched, and any 'frame' it finds in it fails the header check."""
    from gnuradio.semcom.phy.ota import Demodulator, OtaSettings
    rng = np.random.default_rng(seed)
    raw = (level * (rng.standard_normal(samples) + 1j * rng.standard_normal(samples))).astype(np.complex64)
    demodulator = Demodulator(80, OtaSettings(preamble_len=31, threshold=0.3))
    for _ in range(50):
        detection, drop = demodulator.find(raw)
        assert 0 <= drop <= raw.size
        if detection is not None:
            assert detection.header is None or math.isfinite(detection.header["scale"])
        if detection is None and drop == 0:
            break
        raw = raw[max(drop, 1):]


# --- the CURVE link's burst message ---------------------------------------------------------------------
FRAMES = st.lists(st.binary(max_size=40), max_size=4)


@SETTINGS
@given(frames=FRAMES, wire=st.booleans(), burst=st.booleans())
def test_curve_message_of_any_bytes_is_a_burst_or_dropped(frames, wire, burst):
    from gnuradio.semcom.blocks.curve_zmq import WIRE, parse_burst_message
    if wire and frames:
        frames[0] = WIRE
    if burst and len(frames) == 3:
        frames[2] = bytes(8 * 2)
    parsed = parse_burst_message(frames, 2)
    if parsed is not None:
        symbols, found = parsed
        assert symbols.shape == (2,) and symbols.dtype == np.complex64
        assert all(pmt.is_symbol(key) for key, _ in found)


@SETTINGS
@given(values=st.lists(st.tuples(st.text(min_size=1, max_size=10), TAG_VALUE), max_size=4))
def test_curve_message_round_trips_its_tags(values):
    from gnuradio.semcom.blocks.curve_zmq import WIRE, parse_burst_message
    packed = pmt.make_vector(len(values), pmt.PMT_NIL)
    for j, (key, value) in enumerate(values):
        pmt.vector_set(packed, j, pmt.cons(pmt.intern(key), pmt.to_pmt(value)))
    burst = np.arange(4, dtype=np.complex64)
    symbols, found = parse_burst_message([WIRE, pmt.serialize_str(packed), burst.tobytes()], 4)
    assert np.array_equal(symbols, burst)
    assert [pmt.symbol_to_string(k) for k, _ in found] == [k for k, _ in values]


def test_curve_message_whose_tags_would_exhaust_memory_or_stack_is_dropped():
    """13 bytes that declare a vector of 141 million items (GNU Radio's deserializer took 3.5 s and
    gigabytes), a uniform vector of 4 billion floats, and pairs nested 5000 deep in their car (its
    recursion would end the stack): refused before deserialization."""
    from gnuradio.semcom.blocks.curve_zmq import WIRE, parse_burst_message, pmt_bytes_fit
    bombs = [bytes.fromhex("0808703659294719a6bb43fa5f"), bytes.fromhex("0a08ffffffff00") + bytes(16),
             b"\x07" * 5000 + b"\x06" * 5001]
    for bomb in bombs:
        assert not pmt_bytes_fit(bomb)
        assert parse_burst_message([WIRE, bomb, bytes(16)], 2) is None


# --- stream tags from a peer ------------------------------------------------------------------------------
@SETTINGS
@given(value=TAG_VALUE)
def test_video_tag_of_any_value_is_read_or_refused(value):
    from gnuradio.semcom.blocks.tags import video_info
    info = video_info(value)
    if info is not None:
        assert set(info) == {"position", "video", "count"}
        assert all(isinstance(v, int) for v in info.values())
        assert info["position"] >= -1 and info["video"] >= -1 and 0 <= info["count"] <= 2**31


@SETTINGS
@given(values=st.lists(TAG_VALUE, min_size=1, max_size=3))
def test_blocks_that_read_video_tags_survive_any_value(tiny_system, values):
    """A plain gr-zeromq peer's tags reach progress_probe, multimodal_receiver and feature_lookup: they
    run to the end, and every video they report has a valid position."""
    from gnuradio import blocks, gr
    from gnuradio.semcom.blocks.feature_lookup import feature_lookup
    from gnuradio.semcom.blocks.multimodal_receiver import multimodal_receiver
    from gnuradio.semcom.blocks.progress_probe import progress_probe
    data, models = tiny_system
    receiver = multimodal_receiver(models["av"])
    d = receiver.d
    hostile = []
    for i, value in enumerate(values):
        tag = gr.tag_t()
        tag.offset, tag.key, tag.value = 10 * i, pmt.intern("semcom_video"), pmt.to_pmt(value)
        hostile.append(tag)
    tb = gr.top_block()
    source = blocks.vector_source_f([0.0] * (10 * len(values) * d), False, d, hostile)
    probe = progress_probe(4 * d)
    lookup = feature_lookup(data, "test", d, False)
    tb.connect(source, (receiver, 0))
    tb.connect(source, (receiver, 1))
    tb.connect(source, probe)
    tb.connect(source, lookup, blocks.null_sink(gr.sizeof_float * lookup.split.visual.shape[-1] * 49))
    tb.run()
    assert all(p >= -1 for p in probe.positions)
    assert all(r["position"] >= -1 and r["status"] in ("ok", "error", "lost") for r in receiver.results)


# --- a receiver's results file, resumed ---------------------------------------------------------------------
def results_text(videos: int) -> str:
    from gnuradio.semcom.blocks.multimodal_receiver import RESULT_FIELDS
    lines = [",".join(RESULT_FIELDS)]
    for v in range(videos):
        lines += [f"{v},{100 + v},{s},3,Church bell,0.5000,ok" for s in range(10)]
    return "\r\n".join(lines) + "\r\n"


@SETTINGS
@given(cut=st.integers(0, 2000), garbage=st.text(max_size=60), at=st.integers(0, 2000))
def test_results_file_of_any_text_resumes_its_whole_videos_or_is_refused(cut, garbage, at):
    from gnuradio.semcom.blocks.multimodal_receiver import read_results
    text = results_text(4)
    text = text[:at] + garbage + text[at:]
    text = text[:len(text) - cut % (len(text) + 1)]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "r.csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            f.write(text)
        try:
            videos = read_results(path, 10)
        except InputError:
            return
    for v in videos:
        assert v["status"] in ("ok", "error", "lost") and v["position"] >= -1
        assert v["predicted"].shape == (10,) and ((v["predicted"] >= -1) & (v["predicted"] < 29)).all()


# --- manifest.json ---------------------------------------------------------------------------------------
@SETTINGS
@given(path=st.lists(st.sampled_from(["modality", "symbols_per_segment", "segments", "audio_dim", "visual_shape",
                                      "pilots", "files", "format_version", "architecture", "csi", "source",
                                      "steps", "length", "file", "audio_transmitter", "receiver", 0, 1]),
                     min_size=1, max_size=3), value=JSON, delete=st.booleans())
def test_manifest_with_any_field_changed_is_read_whole_or_refused(tiny_system, path, value, delete):
    from gnuradio.semcom.blocks.model_ports import model_ports
    from gnuradio.semcom.nn.model_dir import open_model_dir
    _, models = tiny_system
    with tempfile.TemporaryDirectory() as folder:
        for name in os.listdir(models["av"]):
            os.symlink(os.path.join(models["av"], name), os.path.join(folder, name))
        with open(os.path.join(models["av"], "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        node = manifest
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else node[key] if isinstance(node, list) and \
                isinstance(key, int) and key < len(node) else None
        last = path[-1]
        if isinstance(node, dict) and isinstance(last, str):
            if delete:
                node.pop(last, None)
            else:
                node[last] = value
        os.remove(os.path.join(folder, "manifest.json"))
        with open(os.path.join(folder, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f)
        try:
            model = open_model_dir(folder)
            ports = model_ports(folder)
            pilots = model.pilot_settings()
        except InputError:
            return
        assert model.modality in ("av", "a", "v") and model.symbols >= 1 and model.segments >= 1
        assert ports.floats == 2 * model.symbols and pilots.steps >= 1 and pilots.length >= 1
        model.architecture


# --- pilot files ----------------------------------------------------------------------------------------------
@SETTINGS
@given(shape=st.lists(st.integers(0, 6), min_size=0, max_size=4),
       dtype=st.sampled_from(["complex64", "complex128", "float32", "float64", "int16", "bool", "<U2"]),
       fill=st.sampled_from(["random", "zeros", "nan", "inf", "huge"]), users=st.integers(1, 2))
def test_pilot_file_of_any_array_is_loaded_checked_or_refused(shape, dtype, fill, users):
    from gnuradio.semcom.phy.pilots import load_pilots
    rng = np.random.default_rng(len(shape))
    values = {"random": rng.standard_normal(shape), "zeros": np.zeros(shape), "nan": np.full(shape, np.nan),
              "inf": np.full(shape, np.inf), "huge": np.full(shape, 1e300)}[fill]
    with np.errstate(over="ignore", invalid="ignore"):
        array = values.astype(str) if dtype == "<U2" else values.astype(dtype) \
            if not (fill in ("nan", "inf", "huge") and dtype in ("int16", "bool")) else values.astype("float64")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "pilot.npy")
        np.save(path, array)
        try:
            pilots = load_pilots(path, users)
        except InputError:
            return
    assert pilots.dtype == np.complex64 and pilots.ndim == 3 and pilots.shape[1] == users
    assert np.isfinite(pilots).all() and pilots.shape[2] >= users


@SETTINGS
@given(head=st.binary(max_size=200))
def test_pilot_file_of_any_bytes_is_refused(head):
    from gnuradio.semcom.phy.pilots import load_pilots
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "pilot.npy")
        with open(path, "wb") as f:
            f.write(head)
        try:
            pilots = load_pilots(path, 2)
        except InputError:
            return
    assert np.isfinite(pilots).all()


# --- AVE h5 files --------------------------------------------------------------------------------------------
@SETTINGS
@given(kind=st.sampled_from(["audio", "visual", "labels", "train", "test"]),
       change=st.sampled_from(["shape", "dtype", "nan", "negative", "key", "missing", "bytes", "order_range"]),
       size=st.integers(0, 5))
def test_ave_folder_with_any_file_broken_loads_or_is_refused(tiny_system, kind, change, size):
    import h5py
    from gnuradio.semcom.data.ave import FEATURE_FILES, ORDER_FILES, load_split, require_valid
    data, _ = tiny_system
    with tempfile.TemporaryDirectory() as folder:
        for name in os.listdir(data):
            shutil.copy(os.path.join(data, name), folder)
        name, key = (FEATURE_FILES[kind][:2] if kind in FEATURE_FILES else ORDER_FILES[kind])
        path = os.path.join(folder, name)
        if change == "missing":
            os.remove(path)
        elif change == "bytes":
            with open(path, "wb") as f:
                f.write(os.urandom(size * 100))
        else:
            with h5py.File(path, "r") as f:
                array = np.asarray(f[key])
            if change == "shape":
                array = array.reshape(-1)[:size * 7] if array.size else array
            elif change == "dtype":
                array = array.astype("S4") if size % 2 else array.astype(np.int8)
            elif change == "nan" and array.dtype.kind == "f":
                array = array.copy()
                array.reshape(-1)[size % max(array.size, 1)] = np.nan
            elif change == "negative":
                array = -np.abs(array) - 1
            elif change == "order_range":
                array = array + 10**6
            with h5py.File(path, "w") as f:
                f.create_dataset(key if change != "key" else "other", data=array)
        try:
            require_valid(folder)
            split = load_split(folder, "test" if kind != "train" else "train")
        except InputError:
            return
    assert np.isfinite(split.audio).all() and np.isfinite(split.visual).all()
    assert split.labels.size == 0 or (split.labels.min() >= 0 and split.labels.max() < 29)
    assert split.audio.shape[1:] == (10, 128) and split.visual.shape[1:] == (10, 7, 7, 512)
