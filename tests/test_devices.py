# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the networks run and in what precision: the device of the neural blocks, programs and training
('auto', 'cpu', 'cuda'; a GPU is never needed), mixed precision against float32, and the evaluations that
encode a batch's visual features once for several channels."""
import numpy as np
import pytest

import torch  # noqa: E402  (a missing PyTorch fails the suite)

from conftest import semcom  # noqa: E402
from gnuradio.semcom.errors import InputError  # noqa: E402
from gnuradio.semcom.nn.runtime import describe_device, keep_freed_memory, pick_device  # noqa: E402
from gnuradio.semcom.nn.system import SemanticSystem  # noqa: E402
from gnuradio.semcom.train.trainer import check_precision, training_threads, twin_accuracies, twin_accuracy  # noqa

no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")


def test_auto_is_the_cpu_without_a_gpu_and_names_are_checked():
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device("auto") == (torch.device("cuda", 0) if torch.cuda.is_available() else torch.device("cpu"))
    with pytest.raises(InputError, match=r"^torch_device must be one of 'auto', 'cpu', 'cuda', got 'gpu'$"):
        pick_device("gpu", what="torch_device")
    assert describe_device(torch.device("cpu")) == (f"cpu ({torch.get_num_threads()} PyTorch thread"
                                                    f"{'s' if torch.get_num_threads() > 1 else ''})")


@no_gpu
def test_cuda_without_a_gpu_is_one_clear_error():
    with pytest.raises(InputError, match=r"device 'cuda' asked for, but this PyTorch .* (has no CUDA support|sees no "
                                         r"CUDA device); use 'cpu' or 'auto'"):
        pick_device("cuda")


@no_gpu
@pytest.mark.parametrize("block", ["audio_transmitter", "video_transmitter", "multimodal_receiver"])
def test_neural_block_on_cuda_without_a_gpu_says_so(tiny_system, block):
    from gnuradio import semcom as blocks
    _, models = tiny_system
    with pytest.raises(InputError, match="device 'cuda' asked for"):
        getattr(blocks, block)(models["av"], device="cuda")


def test_neural_blocks_run_where_asked_and_give_the_same_floats(tiny_system):
    """device 'cpu' and 'auto' (the CPU here, or the GPU): the network is on that device, the block's log says
    so, and the floats are those of the network run directly (to float rounding on a GPU)."""
    from gnuradio import blocks, gr
    from gnuradio import semcom as sc
    _, models = tiny_system
    rng = np.random.default_rng(5)
    audio = rng.random((20, 128)).astype(np.float32)             # two videos of 10 segments
    reference = torch.jit.load(f"{models['av']}/audio_transmitter.pt")(torch.from_numpy(audio).reshape(2, 10, 128))
    for device in ("cpu", "auto"):
        top = gr.top_block()
        source = blocks.vector_source_f(audio.reshape(-1).tolist(), False, 128)
        tx = sc.audio_transmitter(models["av"], device=device)
        sink = blocks.vector_sink_f(reference.shape[-1])
        top.connect(source, tx, sink)
        top.run()
        assert str(tx.device) == str(pick_device(device))
        assert next(tx.network.parameters()).device.type == tx.device.type
        got = np.array(sink.data(), dtype=np.float32).reshape(reference.shape)
        np.testing.assert_allclose(got, reference.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_mixed_precision_follows_float32(tiny_system):
    """bfloat16 autocast: logits within bfloat16's rounding of float32's (same weights, error-free links), and
    the same decision on nearly every segment; the weights stay float32."""
    from gnuradio.semcom.data.ave import load_split
    data, _ = tiny_system
    split = load_split(data, "test")
    torch.manual_seed(3)
    system = SemanticSystem(16).eval()
    siso, uplink = system.twins("awgn", "error_free")
    audio, visual = torch.from_numpy(split.audio[:8]), torch.from_numpy(split.visual[:8]).float()
    snr = torch.full((8,), 30.0)
    with torch.no_grad():
        full = system(audio, visual, siso, uplink, snr)[0]
        system.precision = "bfloat16"
        mixed = system(audio, visual, siso, uplink, snr)[0]
    assert mixed.dtype == torch.float32 and all(p.dtype == torch.float32 for p in system.parameters())
    scale = full.abs().max()
    error = (mixed - full).abs().max() / scale
    assert 0 < error < 0.05, float(error)                     # bfloat16 keeps 8 bits of mantissa: ~0.4 % per op
    agree = (mixed.argmax(-1) == full.argmax(-1)).float().mean()
    assert agree >= 0.9, float(agree)


def test_mixed_precision_gradients_follow_float32(tiny_system):
    """One training step's backward pass in bfloat16 autocast (as ``semcom train --precision bfloat16``):
    every gradient float32 and finite, and their direction within bfloat16's rounding of float32's."""
    from gnuradio.semcom.data.ave import load_split
    from gnuradio.semcom.nn.models import semantic_loss
    data, _ = tiny_system
    split = load_split(data, "test")
    torch.manual_seed(4)
    system = SemanticSystem(16).eval()        # no dropout: both passes compute the same function
    siso, uplink = system.twins("awgn", "error_free")
    audio, visual = torch.from_numpy(split.audio[:8]), torch.from_numpy(split.visual[:8]).float()
    labels, snr = torch.from_numpy(split.labels[:8]).long(), torch.full((8,), 30.0)

    def gradient(precision):
        system.precision = precision
        system.zero_grad()
        logits, sd_a, sd_v = system(audio, visual, siso, uplink, snr)
        semantic_loss(logits, labels, sd_a, sd_v).backward()
        grads = [p.grad for p in system.parameters() if p.requires_grad and p.grad is not None]
        assert all(g.dtype == torch.float32 and torch.isfinite(g).all() for g in grads)
        return torch.cat([g.flatten() for g in grads])

    full, mixed = gradient("float32"), gradient("bfloat16")
    cosine = torch.nn.functional.cosine_similarity(full, mixed, dim=0)
    assert 0.95 < cosine < 1.0, float(cosine)


def test_precision_and_threads_are_checked():
    with pytest.raises(InputError, match="precision must be one of 'float32', 'bfloat16', got 'half'"):
        check_precision("half", torch.device("cpu"))
    with pytest.raises(InputError, match="threads must be >= 1, got 0"):
        training_threads(0, "float32", torch.device("cpu"))
    cpus = len(__import__("os").sched_getaffinity(0))
    assert training_threads(3, "bfloat16", torch.device("cpu")) == 3
    assert training_threads(None, "bfloat16", torch.device("cpu")) == cpus
    assert training_threads(None, "bfloat16", torch.device("cpu"), processes=cpus) == 1
    system_blas = "BLAS_INFO=generic" in torch.__config__.show()           # Debian's PyTorch
    assert training_threads(None, "float32", torch.device("cpu")) == (1 if system_blas else torch.get_num_threads())


def test_freed_memory_is_kept_with_glibc():
    assert keep_freed_memory() is True
    assert keep_freed_memory() is True              # a second call is harmless


def test_several_channels_at_once_give_each_channels_figures(tiny_system):
    """twin_accuracies, which encodes each batch's visual features once for all conditions, gives for every
    condition exactly what twin_accuracy gives for it alone (its own seeded draws)."""
    from gnuradio.semcom.data.ave import load_split
    data, models = tiny_system
    system = SemanticSystem.from_model_dir(models["av"])
    split = load_split(data, "test")
    conditions = [(*system.twins(channel, csi), snr, seed) for channel, csi, snr, seed in
                  [("rayleigh", "estimated", 0.0, 1), ("rician", "perfect", 10.0, 2), ("awgn", "estimated", None, 1),
                   ("rayleigh", "none_no_retraining", 5.0, 3)]]
    together = twin_accuracies(system, split, conditions, batch_size=7)
    alone = [twin_accuracy(system, split, siso, uplink, snr, 7, seed=seed) for siso, uplink, snr, seed in conditions]
    assert together == alone


@no_gpu
def test_train_on_cuda_without_a_gpu_is_one_clear_error(tmp_path, tiny_system):
    data, _ = tiny_system
    done = semcom("train", "--data", data, "--out", str(tmp_path / "m"), "--device", "cuda", "--limit", "8")
    assert done.returncode == 2, done.stderr[-2000:]
    assert "device 'cuda' asked for" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_programs_and_sweep_take_a_torch_device():
    for command in (["receiver"], ["audio-terminal"], ["video-terminal"], ["sweep"], ["loopback"]):
        done = semcom(*command, "--help")
        assert done.returncode == 0 and "--torch-device {auto,cpu,cuda}" in done.stdout, (command, done.stdout)
