# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Semantic front ends from media: VGGish log-mel against a NumPy reference, the two
networks and their weight files, decoding and segmentation, `semcom features` end to end, the live
blocks, and the produced dataset through the system flowgraph. Weights are random, never real."""
import os

import numpy as np
import pytest

import torch  # noqa: E402  (a missing PyTorch fails the suite)
import av  # noqa: E402,F401

from gnuradio import blocks, gr  # noqa: E402
from gnuradio.semcom.cli.main import main as semcom_main  # noqa: E402
from gnuradio.semcom.data.ave import BACKGROUND, CLASS_NAMES, load_split, require_valid  # noqa: E402
from gnuradio.semcom.data.features import read_sources  # noqa: E402
from gnuradio.semcom.data.media import decode_media, iter_video_seconds  # noqa: E402
from gnuradio.semcom.data.vgg import load_vgg19, pool5, visual_features, vgg19_pool5  # noqa: E402
from gnuradio.semcom.data.vggish import (VGGish, SegmentFramer, audio_features, examples, load_vggish,  # noqa: E402
                                         log_mel, second_examples, segment_examples)

from conftest import easy_synth, tags_of, untrained_model  # noqa: E402

torch.set_num_threads(2)


# --- an independent NumPy reference of VGGish's input processing, from the published definition ---

def reference_log_mel(audio: np.ndarray) -> np.ndarray:
    """16 kHz; 400-sample periodic Hann frames every 160 samples; |rfft| of 512 points; 64 HTK-mel
    triangles 125..7500 Hz with the DC bin zeroed; log(mel + 0.01)."""
    rate, window, hop, nfft, bands = 16000, 400, 160, 512, 64
    count = 1 + (len(audio) - window) // hop
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(window) / window)
    spectrum = np.empty((count, nfft // 2 + 1))
    for i in range(count):
        spectrum[i] = np.abs(np.fft.rfft(audio[i * hop:i * hop + window] * hann, nfft))

    def mel(f):
        return 1127.0 * np.log(1.0 + np.asarray(f) / 700.0)
    bin_mel = mel(np.linspace(0, rate / 2, nfft // 2 + 1))
    edges = np.linspace(mel(125.0), mel(7500.0), bands + 2)
    weights = np.zeros((nfft // 2 + 1, bands))
    for b in range(bands):
        lo, mid, hi = edges[b], edges[b + 1], edges[b + 2]
        for k in range(1, nfft // 2 + 1):           # bin 0 (DC) stays zero
            if lo < bin_mel[k] <= mid:
                weights[k, b] = (bin_mel[k] - lo) / (mid - lo)
            elif mid < bin_mel[k] < hi:
                weights[k, b] = (hi - bin_mel[k]) / (hi - mid)
    return np.log(spectrum @ weights + 0.01)


@pytest.fixture
def audio():
    rng = np.random.default_rng(11)
    t = np.arange(int(3.3 * 16000)) / 16000
    return (0.4 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 3100 * t)
            + 0.05 * rng.standard_normal(t.size)) * np.linspace(0.1, 1, t.size)


def test_log_mel_matches_the_numpy_reference(audio):
    ref = reference_log_mel(audio)
    got = log_mel(torch.from_numpy(audio)).numpy()
    assert got.shape == ref.shape == (1 + (audio.size - 400) // 160, 64)
    np.testing.assert_allclose(got, ref, atol=1e-4, rtol=0)
    silence = log_mel(torch.zeros(16000)).numpy()               # log(0 + 0.01) everywhere
    np.testing.assert_allclose(silence, np.log(0.01), atol=1e-6)


def test_examples_frame_96_by_64_every_0_96_s_and_one_per_second(audio):
    ref = reference_log_mel(audio)
    ex = examples(torch.from_numpy(audio)).numpy()
    assert ex.shape == (ref.shape[0] // 96, 96, 64)
    np.testing.assert_allclose(ex[1], ref[96:192], atol=1e-4, rtol=0)
    per_second = second_examples(torch.from_numpy(audio[:48000].reshape(3, 16000))).numpy()
    assert per_second.shape == (3, 96, 64)
    np.testing.assert_allclose(per_second[2], ref[200:296], atol=1e-4, rtol=0)   # frame 100·s onwards


def test_segments_are_framed_as_ave_framed_its_10_s_clips():
    """AVE's extractor framed each 10 s clip into VGGish's 0.96 s examples (hop 0.96 s) and kept all 10:
    segment k of every 10 s row is example k of that row's own framing, for a stream given in any blocks."""
    rng = np.random.default_rng(12)
    audio = (0.3 * rng.standard_normal(25 * 16000)).astype(np.float32)
    seconds = audio.reshape(25, 16000)
    whole = segment_examples(seconds).numpy()
    assert whole.shape == (25, 96, 64)
    for row in range(3):
        clip = audio[row * 160000:(row + 1) * 160000]
        own = examples(torch.from_numpy(clip)).numpy()            # VGGish's framing of this row alone
        count = min(10, 25 - 10 * row)
        if count == 10:
            assert own.shape[0] == 10                              # a 10 s clip gives exactly 10 examples
        np.testing.assert_allclose(whole[10 * row:10 * row + count], own[:count], atol=1e-5, rtol=0)
    framer = SegmentFramer()
    windows = np.concatenate([framer(seconds[a:b]) for a, b in ((0, 3), (3, 3), (3, 10), (10, 11), (11, 25))])
    for p in range(25):
        start = 160000 * (p // 10) + 15360 * (p % 10)
        np.testing.assert_array_equal(windows[p], audio[start:start + 15600])
    assert not np.allclose(whole[7], second_examples(seconds)[7].numpy(), atol=1e-3)   # not "from second k"
    with pytest.raises(ValueError, match="segments must be at most 26"):
        SegmentFramer(27)


# --- the networks and their weight files ---

@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """Randomly initialised VGGish and VGG-19 (conv part, torchvision key names) saved as files."""
    torch.manual_seed(0)
    base = tmp_path_factory.mktemp("weights")
    vggish, vgg = str(base / "vggish.pth"), str(base / "vgg19.pth")
    torch.save(VGGish().state_dict(), vggish)
    torch.save({"features." + k: v for k, v in vgg19_pool5().state_dict().items()}, vgg)
    return vggish, vgg


def test_vggish_keys_shapes_and_file_round_trip(weights):
    model = VGGish()
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    # torchvggish's vggish-10086976.pth layout
    assert shapes["features.0.weight"] == (64, 1, 3, 3) and shapes["features.13.weight"] == (512, 512, 3, 3)
    assert [k for k in shapes if k.startswith("features.") and k.endswith(".weight")] == \
        [f"features.{i}.weight" for i in (0, 3, 6, 8, 11, 13)]
    assert shapes["embeddings.0.weight"] == (4096, 12288) and shapes["embeddings.2.weight"] == (4096, 4096)
    assert shapes["embeddings.4.weight"] == (128, 4096)
    loaded = load_vggish(weights[0])
    saved = torch.load(weights[0], weights_only=True)
    model.load_state_dict(saved)
    x = torch.randn(3, 96, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        out = loaded(x)
        np.testing.assert_array_equal(out.numpy(), model.eval()(x).numpy())
    assert out.shape == (3, 128) and out.min() >= 0
    seconds = np.random.default_rng(2).standard_normal((2, 16000)).astype(np.float32)
    assert audio_features(loaded, seconds).shape == (2, 128)


def test_vgg19_pool5_shape_channels_last_and_average_per_second(weights):
    keys = {k: tuple(v.shape) for k, v in vgg19_pool5().state_dict().items()}
    convs = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]     # torchvision vgg19().features
    assert list(keys) == [f"{i}.{p}" for i in convs for p in ("weight", "bias")]
    assert keys["0.weight"] == (64, 3, 3, 3) and keys["34.weight"] == (512, 512, 3, 3)
    model = load_vgg19(weights[1])
    reference = vgg19_pool5().eval()
    reference.load_state_dict({k[len("features."):]: v for k, v in torch.load(weights[1], weights_only=True).items()})
    frames = np.random.default_rng(3).integers(0, 256, (3, 48, 64, 3), dtype=np.uint8)   # resized to 224
    maps = pool5(model, frames)
    assert maps.shape == (3, 7, 7, 512)
    from gnuradio.semcom.data.vgg import preprocess
    with torch.no_grad():
        direct = reference(preprocess(torch.from_numpy(frames))).numpy()              # (3, 512, 7, 7)
    np.testing.assert_allclose(maps, direct.transpose(0, 2, 3, 1), rtol=1e-5, atol=1e-6)
    per_second = visual_features(model, frames, np.array([0, 0, 1]), 2)
    np.testing.assert_allclose(per_second[0], maps[:2].mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(per_second[1], maps[2], rtol=1e-6)


def test_missing_or_wrong_weight_files_get_clear_errors(tmp_path, weights):
    missing = str(tmp_path / "vggish-10086976.pth")
    with pytest.raises(ValueError, match=r"VGGish weights file '.*vggish-10086976.pth' not found.*"
                       r"github.com/harritaylor/torchvggish/releases"):
        load_vggish(missing)
    with pytest.raises(ValueError, match=r"VGG-19 weights file '.*nothere.pth' not found.*"
                       r"download.pytorch.org/models/vgg19-dcbb9e9d.pth"):
        load_vgg19(str(tmp_path / "nothere.pth"))
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="garbage.pth' is not a readable PyTorch state dict"):
        load_vggish(str(garbage))
    with pytest.raises(ValueError, match=r"vgg19.pth' does not fit the network: missing keys \['embeddings"):
        load_vggish(weights[1])                                  # VGG-19 weights given as VGGish


# --- media: a clip the test writes itself with PyAV ---

def make_clip(path, seconds: float, fps: int = 4, audio: bool = True, video: bool = True, rate: int = 22050):
    """Stereo tones (pitch changes every second) and a square moving across a 64x48 picture."""
    with av.open(str(path), "w") as out:                # every stream is added before the first packet
        if video:
            vstream = out.add_stream("mpeg4", rate=fps)
            vstream.width, vstream.height, vstream.pix_fmt = 64, 48, "yuv420p"
        if audio:
            astream = out.add_stream("aac", rate=rate, layout="stereo")
        if video:
            for i in range(int(round(seconds * fps))):
                picture = np.full((48, 64, 3), (20, 40, 60), np.uint8)
                x = (4 * i) % 48
                picture[16:32, x:x + 16] = (250, 200, 30)
                for packet in vstream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                    out.mux(packet)
            for packet in vstream.encode(None):
                out.mux(packet)
        if audio:
            t = np.arange(int(seconds * rate)) / rate
            tone = (0.3 * np.sin(2 * np.pi * (440 + 220 * np.floor(t)) * t)).astype(np.float32)
            for k in range(0, t.size, 1024):
                chunk = np.ascontiguousarray(np.stack([tone[k:k + 1024], 0.5 * tone[k:k + 1024]]))
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
                frame.sample_rate, frame.pts = rate, k
                for packet in astream.encode(frame):
                    out.mux(packet)
            for packet in astream.encode(None):
                out.mux(packet)
    return str(path)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    base = tmp_path_factory.mktemp("clips")
    return {"short": make_clip(base / "short.mp4", 3.0),
            "long": make_clip(base / "long.mp4", 11.0, fps=2),
            "silent": make_clip(base / "silent.mp4", 2.0, audio=False),
            "sound": make_clip(base / "sound.m4a", 2.0, video=False)}


def test_decoding_gives_aligned_whole_seconds(clips):
    media = decode_media(clips["short"], frames_per_second=2)
    assert media.seconds == 3 and media.audio.shape == (48000,) and media.audio.dtype == np.float32
    assert media.frames.shape == (6, 224, 224, 3) and media.frame_second.tolist() == [0, 0, 1, 1, 2, 2]
    # the tone's pitch steps at each second: 440, 660, 880 Hz (mono = mean of 1 and 0.5 times the tone)
    for s, f in enumerate((440, 660, 880)):
        spectrum = np.abs(np.fft.rfft(media.audio_seconds()[s][2000:14000]))
        assert abs(np.argmax(spectrum) * 16000 / 12000 - f) < 3, s
    assert 0.17 < np.abs(media.audio[4000:40000]).max() < 0.28
    assert [len(f) for f in iter_video_seconds(clips["silent"], 16)] == [4, 4]


@pytest.mark.parametrize("name,message", [
    ("silent", "has no audio stream"), ("sound", "has no video stream"), ("garbage", "is not readable by FFmpeg"),
    ("absent", "does not exist")])
def test_bad_media_files_name_the_file(tmp_path, clips, name, message):
    path = clips.get(name, str(tmp_path / f"{name}.mp4"))
    if name == "garbage":
        open(path, "wb").write(b"\x00\x01 not a video " * 100)
    with pytest.raises(ValueError, match=f"media file '{path}' {message}"):
        decode_media(path)


def test_cli_reports_bad_media_without_traceback(tmp_path, clips, weights, caplog):
    rc = semcom_main(["features", clips["silent"], "--out", str(tmp_path / "out"), "--vggish", weights[0],
                      "--vgg19", weights[1]])
    assert rc == 2
    assert f"media file '{clips['silent']}' has no audio stream" in caplog.text


# --- semcom features end to end ---

@pytest.fixture(scope="module")
def dataset(tmp_path_factory, clips, weights):
    base = tmp_path_factory.mktemp("features")
    annotations = base / "Annotations.txt"
    annotations.write_text("Category&VideoID&Quality&StartTime&EndTime\nBark&short&good&1&3\nCat&long&good&0&10\n")
    out = str(base / "data")
    rc = semcom_main(["features", clips["short"], clips["long"], "--out", out, "--vggish", weights[0],
                      "--vgg19", weights[1], "--annotations", str(annotations), "--frames-per-second", "2"])
    assert rc == 0
    return out


def test_features_write_a_valid_ave_folder_one_segment_per_second(dataset):
    require_valid(dataset)
    split = load_split(dataset, "test")
    assert split.audio.shape == (3, 10, 128) and split.visual.shape == (3, 10, 7, 7, 512)
    for split_name in ("train", "val"):
        assert load_split(dataset, split_name).indices.size == 0
    sources = [(row, video, first, count) for row, video, _, first, count in read_sources(dataset)]
    assert sources == [(0, "short", 0, 3), (1, "long", 0, 10), (2, "long", 10, 1)]
    real = np.zeros((3, 10), bool)
    for row, _, _, count in sources:
        real[row, :count] = True
    assert np.all(np.abs(split.visual).reshape(3, 10, -1).sum(-1)[real] > 0)       # 3 + 11 real seconds
    assert np.all(split.audio[~real] == 0) and np.all(split.visual[~real] == 0)   # padding
    bark, cat = CLASS_NAMES.index("Bark"), CLASS_NAMES.index("Cat")
    assert split.labels[0].tolist() == [BACKGROUND, bark, bark] + [BACKGROUND] * 7
    assert split.labels[1].tolist() == [cat] * 10 and split.labels[2].tolist() == [BACKGROUND] * 10


def test_features_have_the_layout_dtype_and_post_processing_of_aves_release(dataset, weights):
    """AVE's audio_feature.h5 (as its repository's audio_feature_noisy.h5 shows: dataset 'avadataset',
    float64 (N, 10, 128), the raw post-ReLU embedding: non-negative, exact zeros, not 8-bit levels) and
    visual_feature.h5 (float64 (N, 10, 7, 7, 512), pool5 after ReLU and max-pooling: non-negative)."""
    import h5py
    with h5py.File(os.path.join(dataset, "audio_feature.h5"), "r") as f:
        audio = f["avadataset"]
        assert audio.dtype == np.float64 and audio.shape == (3, 10, 128)
        audio = audio[:]
    with h5py.File(os.path.join(dataset, "visual_feature.h5"), "r") as f:
        visual = f["avadataset"]
        assert visual.dtype == np.float64 and visual.shape == (3, 10, 7, 7, 512)
        visual = visual[:]
    real = np.abs(audio).sum(-1) > 0
    assert real.sum() == 14                                       # 3 + 11 real seconds
    values = audio[real]
    assert values.min() >= 0.0 and (values == 0).any()            # ReLU'd: non-negative, exact zeros
    positive = values[values > 0]
    assert np.mean(positive != np.round(positive)) > 0.99         # floats, not quantised levels
    assert np.all(values.astype(np.float32) == values)            # float32 results stored as float64, as AVE's
    assert visual.min() >= 0.0
    rng = np.random.default_rng(13)
    raw = audio_features(load_vggish(weights[0]), (0.3 * rng.standard_normal((4, 16000))).astype(np.float32))
    assert raw.shape == (4, 128) and raw.dtype == np.float32 and raw.min() >= 0.0


def test_features_match_the_library_functions(dataset, clips, weights):
    media = decode_media(clips["short"], frames_per_second=2)
    audio = audio_features(load_vggish(weights[0]), media.audio_seconds())
    visual = visual_features(load_vgg19(weights[1]), media.frames, media.frame_second, 3)
    split = load_split(dataset, "test")
    np.testing.assert_allclose(split.audio[0, :3], audio, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(split.visual[0, :3], visual, rtol=1e-5, atol=1e-6)


def test_missing_weights_via_cli_name_the_file(tmp_path, clips, weights, caplog):
    rc = semcom_main(["features", clips["short"], "--out", str(tmp_path / "out"),
                      "--vggish", str(tmp_path / "vggish-10086976.pth"), "--vgg19", weights[1]])
    assert rc == 2 and "vggish-10086976.pth' not found" in caplog.text


def test_produced_dataset_runs_through_the_system_flowgraph(tmp_path, dataset):
    from gnuradio.semcom.flowgraphs.system import SystemConfig, system_top_block
    synth = easy_synth(str(tmp_path / "synth"), videos=12)
    model = untrained_model(synth, str(tmp_path / "model"))
    tb = system_top_block(SystemConfig(model=model, data=dataset, csi="error_free"))
    tb.run()
    predictions = tb.receiver.predictions()
    assert sorted(predictions) == [0, 1, 2]
    assert all(p.shape == (10,) and np.all((0 <= p) & (p < 29)) for p in predictions.values())
    assert tb.receiver.summary()["lost"] == []


# --- live blocks ---

def test_audio_frontend_block_matches_offline_features_and_tags_videos(weights):
    from gnuradio.semcom import audio_frontend
    rng = np.random.default_rng(4)
    audio = (0.3 * rng.standard_normal(3 * 16000 + 500)).astype(np.float32)
    tb = gr.top_block()
    source = blocks.vector_source_f(audio.tolist(), False)
    block = audio_frontend(vggish=weights[0], segments=2)
    sink = blocks.vector_sink_f(128)
    tb.connect(source, block, sink)
    tb.run()
    got = np.asarray(sink.data(), np.float32).reshape(-1, 128)
    expected = audio_features(load_vggish(weights[0]), audio[:48000].reshape(3, 16000), framer=SegmentFramer(2))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert tags_of(sink, "semcom_video") == {0: {"video": 0, "position": 0, "count": 0},
                                             2: {"video": 1, "position": 1, "count": 0}}
    with pytest.raises(ValueError, match="needs 16000 Hz audio"):
        audio_frontend(vggish=weights[0], sample_rate=48000)


def test_video_frontend_block_matches_offline_features(weights, clips):
    from gnuradio.semcom import video_frontend
    tb = gr.top_block()
    block = video_frontend(vgg19=weights[1], source=clips["silent"], frames_per_second=2)
    sink = blocks.vector_sink_f(25088)
    tb.connect(block, sink)
    tb.run()
    got = np.asarray(sink.data(), np.float32).reshape(-1, 7, 7, 512)
    model = load_vgg19(weights[1])
    expected = [pool5(model, frames).mean(axis=0) for frames in iter_video_seconds(clips["silent"], 2)]
    assert got.shape[0] == 2
    np.testing.assert_allclose(got, np.stack(expected), rtol=1e-5, atol=1e-6)
    assert list(tags_of(sink, "semcom_video")) == [0]
    with pytest.raises(ValueError, match="camera:N"):
        video_frontend(vgg19=weights[1], source="camera:x")


@pytest.mark.parametrize("block_id", ["semcom_audio_frontend", "semcom_video_frontend"])
def test_grc_block_files_build_their_blocks(weights, clips, block_id):
    from gnuradio.grc.core.platform import Platform
    grc_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "grc")
    os.environ["GRC_BLOCKS_PATH"] = os.path.abspath(grc_dir)
    platform = Platform(name="semcom tests", prefs=gr.prefs(), version=gr.version(),
                        version_parts=(gr.major_version(), gr.api_version(), gr.minor_version()))
    platform.build_library()
    flow_graph = platform.make_flow_graph()
    block = flow_graph.new_block(block_id)
    block.params["id"].set_value(block_id + "_0")
    if block_id == "semcom_audio_frontend":
        block.params["vggish"].set_value(repr(weights[0]))
    else:
        block.params["vgg19"].set_value(repr(weights[1]))
        block.params["source"].set_value(repr(clips["silent"]))
    flow_graph.rewrite()
    flow_graph.validate()
    errors = [e for e in block.get_error_messages() if "connected" not in e.lower()]
    assert not errors, errors
    namespace = {}
    exec(block.templates.render("imports"), namespace)
    assert eval(block.templates.render("make"), namespace).name() == block_id


def test_split_all_keeps_each_clips_rows_together_and_holds_out_a_tenth_each():
    from gnuradio.semcom.data.features import split_by_clip
    clips = [f"clip{i // 2 if i < 20 else i}" for i in range(50)]     # ten clips of two rows, thirty of one
    parts = split_by_clip(clips, seed=4)
    rows = np.concatenate([parts[s] for s in ("train", "val", "test")])
    assert sorted(rows.tolist()) == list(range(50))                    # every row once
    where = {clips[r]: s for s in parts for r in parts[s]}
    assert all(where[clips[r]] == s for s in parts for r in parts[s])  # a clip's rows in one split
    assert [len({clips[r] for r in parts[s]}) for s in ("train", "val", "test")] == [32, 4, 4]
    assert all(np.array_equal(parts[s], split_by_clip(clips, seed=4)[s]) for s in parts)   # seeded
    assert not all(np.array_equal(parts[s], split_by_clip(clips, seed=5)[s]) for s in parts)
    with pytest.raises(ValueError, match="at least 3 clips"):
        split_by_clip(["a", "a", "b"])


def test_features_split_all_writes_three_usable_splits(tmp_path, clips, weights):
    """Three clips (the long one makes two rows): each split gets one clip, the long clip's rows together."""
    import shutil
    out = str(tmp_path / "data")
    third = str(tmp_path / "third.mp4")
    shutil.copy(clips["short"], third)
    rc = semcom_main(["features", clips["short"], clips["long"], third, "--out", out, "--vggish", weights[0],
                      "--vgg19", weights[1], "--frames-per-second", "2", "--split", "all"])
    assert rc == 0
    require_valid(out)
    sizes = {s: load_split(out, s).indices.size for s in ("train", "val", "test")}
    assert sorted(sizes.values()) == [1, 1, 2] and sum(sizes.values()) == 4, sizes
    long_split = next(s for s in sizes if sizes[s] == 2)
    assert sorted(load_split(out, long_split).indices.tolist()) == [1, 2]        # rows 1 and 2: the long clip
