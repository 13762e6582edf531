# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The paper's networks and the channel twin: TorchScript equals eager, gradients through the channel,
the twin agrees with the physical layer and with closed forms."""
import re

import numpy as np
import pytest

import torch  # noqa: E402  (a missing PyTorch fails the suite)

from gnuradio.semcom.nn.architecture import LEGACY, Architecture  # noqa: E402
from gnuradio.semcom.nn.channel import ChannelTwin, ls_estimate, zero_forcing  # noqa: E402
from gnuradio.semcom.nn.euler import euler_map, euler_unmap  # noqa: E402
from gnuradio.semcom.nn.models import (AudioTransmitter, Receiver, VideoTransmitter,  # noqa: E402
                                       VisualOnlyTransmitter, semantic_loss)
from gnuradio.semcom.nn.system import SemanticSystem  # noqa: E402
from gnuradio.semcom.phy import theory  # noqa: E402
from gnuradio.semcom.phy.euler import euler_map as np_euler_map, map_bursts  # noqa: E402
from gnuradio.semcom.phy.ls import ls_reference  # noqa: E402
from gnuradio.semcom.phy.pilots import make_pilots  # noqa: E402

L = 16   # symbols per segment in these tests
CONSTANT = Architecture(envelope="constant")


@pytest.fixture
def inputs():
    g = torch.Generator().manual_seed(0)
    return (torch.rand(3, 10, 128, generator=g), torch.rand(3, 10, 7, 7, 512, generator=g),
            torch.randn(3, 10, 2 * L, generator=g))


@pytest.mark.parametrize("build,args", [
    (lambda: AudioTransmitter(L), lambda a, v, r: (a,)),
    (lambda: VideoTransmitter(L), lambda a, v, r: (v, r)),
    (lambda: VisualOnlyTransmitter(L), lambda a, v, r: (v,)),
    (lambda: Receiver(L, "av"), lambda a, v, r: (r, r.flip(1))),
    (lambda: Receiver(L, "a"), lambda a, v, r: (r, r)),
    (lambda: Receiver(L, "v"), lambda a, v, r: (r, r)),
    (lambda: VideoTransmitter(L, architecture=LEGACY), lambda a, v, r: (v, r)),
    (lambda: VisualOnlyTransmitter(L, architecture=LEGACY), lambda a, v, r: (v,)),
    (lambda: Receiver(L, "av", architecture=LEGACY), lambda a, v, r: (r, r.flip(1))),
    (lambda: AudioTransmitter(L, architecture=CONSTANT), lambda a, v, r: (a,)),
    (lambda: VideoTransmitter(L, architecture=CONSTANT), lambda a, v, r: (v, r)),
    (lambda: VisualOnlyTransmitter(L, architecture=CONSTANT), lambda a, v, r: (v,)),
    (lambda: Receiver(L, "av", architecture=Architecture(receiver_span="segment")), lambda a, v, r: (r, r.flip(1))),
])
def test_torchscript_equals_eager(tmp_path, inputs, build, args):
    torch.manual_seed(1)
    module = build().eval()
    scripted = torch.jit.script(module)
    scripted.save(str(tmp_path / "m.pt"))
    loaded = torch.jit.load(str(tmp_path / "m.pt"))
    with torch.no_grad():
        eager, script = module(*args(*inputs)), loaded(*args(*inputs))
    eager, script = (x if isinstance(x, tuple) else (x,) for x in (eager, script))
    for e, s in zip(eager, script):
        torch.testing.assert_close(e, s, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("architecture", [None, LEGACY], ids=["published", "legacy"])
def test_video_transmitter_split_is_its_forward(tmp_path, inputs, architecture):
    """encode_with_audio(*encode_visual(v), r) of the saved TorchScript module is forward(v, r), bit for bit."""
    torch.manual_seed(2)
    module = (VideoTransmitter(L, architecture=architecture) if architecture else VideoTransmitter(L)).eval()
    torch.jit.script(module).save(str(tmp_path / "m.pt"))
    loaded = torch.jit.load(str(tmp_path / "m.pt"))
    _, visual, received = inputs
    with torch.no_grad():
        whole = loaded(visual, received)
        cells, scores = loaded.encode_visual(visual)
        split = loaded.encode_with_audio(cells, scores, received)
    assert cells.shape == (3, 10, 49, 512) and torch.equal(split, whole)


@pytest.mark.parametrize("build,args", [
    (lambda arch: AudioTransmitter(L, architecture=arch), lambda a, v, r: (a,)),
    (lambda arch: VideoTransmitter(L, architecture=arch), lambda a, v, r: (v, r)),
    (lambda arch: VisualOnlyTransmitter(L, architecture=arch), lambda a, v, r: (v,)),
], ids=["audio", "video", "video_only"])
def test_constant_envelope_sends_unit_modulus_symbols_through_the_euler_mapper(inputs, build, args):
    """envelope 'constant': every symbol the Euler map makes of a transmitter's output has modulus 1, so the
    physical layer's per-burst power normalisation (the euler_mapper block's) sends them unchanged (scale 1);
    gradients still reach every weight. The paper's 'free' envelope sends symbols of many moduli."""
    torch.manual_seed(4)
    free = build(Architecture()).eval()
    constant = build(CONSTANT).eval()
    constant.load_state_dict(free.state_dict())
    with torch.no_grad():
        free_out, out = free(*args(*inputs)), constant(*args(*inputs))
    moduli = euler_map(out).abs()
    torch.testing.assert_close(moduli, torch.ones_like(moduli), rtol=0, atol=1e-6)
    torch.testing.assert_close(torch.angle(euler_map(out)), torch.angle(euler_map(free_out)), rtol=0, atol=1e-5)
    free_moduli = euler_map(free_out).abs()
    assert free_moduli.std() > 0.2 * free_moduli.mean()
    symbols, scale, finite = map_bursts(out.numpy())
    assert finite.all()
    np.testing.assert_allclose(scale, 1.0, atol=1e-6)
    np.testing.assert_allclose(symbols, np_euler_map(out.numpy()), atol=1e-6)
    constant.train()
    constant(*args(*inputs)).sum().backward()
    for name, parameter in constant.named_parameters():
        assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name


def test_receiver_span_segment_decodes_each_segment_on_its_own(inputs):
    """receiver_span 'segment': a segment's outputs depend on that segment's inputs only and equal the
    network run on it alone; the paper's receiver ('burst') propagates across segments."""
    torch.manual_seed(5)
    received = inputs[2]
    changed = received.clone()
    changed[:, 3] += 1.0
    for span, others_change in (("segment", False), ("burst", True)):
        receiver = Receiver(L, "av", architecture=Architecture(receiver_span=span)).eval()
        with torch.no_grad():
            before, after = receiver(received, received.flip(1)), receiver(changed, received.flip(1))
        moved = (before[0] - after[0]).abs().amax(dim=(0, 2))             # per segment
        assert moved[3] > 1e-3
        assert bool((torch.cat([moved[:3], moved[4:]]) > 1e-6).any()) == others_change, (span, moved)
    with torch.no_grad():
        alone = receiver.decode(received[:, 3:4], received.flip(1)[:, 3:4])
        together = Receiver(L, "av", architecture=Architecture(receiver_span="segment")).eval()
        together.load_state_dict(receiver.state_dict())
        whole = together(received, received.flip(1))
    for part, one in zip(whole, alone):
        torch.testing.assert_close(part[:, 3:4], one, rtol=1e-4, atol=1e-5)   # BLAS rounds by batch size


def test_torch_euler_equals_numpy(inputs):
    x = inputs[2]
    np.testing.assert_array_equal(euler_map(x).numpy(), np_euler_map(x.numpy()))
    torch.testing.assert_close(euler_unmap(euler_map(x)), x)


@pytest.mark.parametrize("csi", ["estimated", "perfect", "none_retrained", "none_no_retraining"])
def test_gradients_reach_both_transmitters_through_the_channel(inputs, csi):
    torch.manual_seed(2)
    audio, visual, _ = inputs
    system = SemanticSystem(L, "av")
    siso, uplink = ChannelTwin("rayleigh", 1, 1, "estimated"), ChannelTwin("rician", 2, 2, csi)
    logits, sd_a, sd_v = system(audio, visual, siso, uplink, torch.tensor([0.0, 15.0, 30.0]),
                                torch.Generator().manual_seed(3))
    semantic_loss(logits, torch.randint(0, 29, (3, 10)), sd_a, sd_v).backward()
    for name, module in (("audio", system.audio_tx.semantic), ("video", system.video_tx.agva)):
        grads = [p.grad for p in module.parameters()]
        assert all(g is not None and torch.isfinite(g).all() for g in grads), name
        assert sum(float(g.abs().sum()) for g in grads) > 0, f"no gradient reaches the {name} transmitter"


def test_twin_ls_equals_numpy_reference():
    g = torch.Generator().manual_seed(4)
    pilots = torch.from_numpy(make_pilots("zadoff_chu", 2, 10, 16))
    received = torch.randn(5, 10, 2, 16, 2, generator=g)
    received = torch.complex(received[..., 0], received[..., 1])
    ref = ls_reference(pilots.numpy(), received.reshape(50, 2, 16).numpy(), 10)
    joint = ls_estimate(pilots, received, "joint", torch.ones(5))
    np.testing.assert_allclose(joint.resolve_conj().numpy(), ref.h_joint, rtol=1e-4, atol=1e-5)
    best = ls_estimate(pilots, received, "min_residual", torch.ones(5))
    np.testing.assert_allclose(best.resolve_conj().numpy(), ref.h_steps.reshape(5, 10, 2, 2)[np.arange(5), ref.t_min],
                               rtol=1e-4, atol=1e-5)


def qpsk_through_twin(twin, snr_db, bursts, users, n=32, seed=5):
    g = torch.Generator().manual_seed(seed)
    bits = torch.randint(0, 2, (bursts, users, 2 * n), generator=g).float() * 2 - 1
    x = euler_map(bits) / np.sqrt(2)
    y = twin(x, torch.full((bursts,), float(snr_db)), g)
    wrong = (torch.sign(euler_unmap(y)) != bits)
    return float(wrong.float().mean())


@pytest.mark.parametrize("snr_db", [0.0, 10.0])
def test_twin_matches_closed_forms(snr_db):
    """±10 % is at least 3 standard deviations of each BER estimate: AWGN at 10 dB has BER 7.7e-4, so 1.28 M
    bits (about 990 errors, 3.2 % relative std); the 2x2 Rayleigh links collect over 20 000 errors."""
    assert qpsk_through_twin(ChannelTwin("awgn", 1, 1, "perfect"), snr_db, 20000, 1) == pytest.approx(
        theory.qpsk_ber_awgn(snr_db), rel=0.1)
    assert qpsk_through_twin(ChannelTwin("rayleigh", 2, 2, "perfect"), snr_db, 8000, 2) == pytest.approx(
        theory.qpsk_ber_rayleigh(snr_db), rel=0.1)
    mse = 10 ** (-snr_db / 10) / 8       # the same time-division ZC pilots as the GNU Radio link
    assert qpsk_through_twin(ChannelTwin("rayleigh", 2, 2, "estimated"), snr_db, 8000, 2) == pytest.approx(
        theory.qpsk_ber_rayleigh_estimated(snr_db, mse, 2), rel=0.1)


@pytest.mark.parametrize("snr_db", [0.0, 10.0])
def test_twin_fading_per_segment_matches_closed_forms(snr_db):
    """A channel per segment, each detected with its own pilot step's LS estimate: the BER of a burst with
    one channel (the draws are independent either way), with one step's estimation error σ²/8."""
    perfect = ChannelTwin("rayleigh", 2, 2, "perfect", fading="segment")
    assert qpsk_through_twin(perfect, snr_db, 2000, 2, n=40) == pytest.approx(theory.qpsk_ber_rayleigh(snr_db),
                                                                               rel=0.1)
    estimated = ChannelTwin("rayleigh", 2, 2, "estimated", fading="segment")
    assert qpsk_through_twin(estimated, snr_db, 2000, 2, n=40) == pytest.approx(
        theory.qpsk_ber_rayleigh_estimated(snr_db, 10 ** (-snr_db / 10) / 8, 2), rel=0.1)


def test_twin_fading_per_segment_changes_the_channel_at_each_segment_only():
    g = torch.Generator().manual_seed(3)
    x = torch.ones(4, 1, 50, dtype=torch.complex64)                 # 10 segments of 5 symbols
    snr = torch.full((4,), 200.0)                                    # noise 1e-20: y / x is the channel
    gains = {fading: ChannelTwin("rayleigh", 1, 1, "none_retrained", fading=fading)(x, snr, g)[:, 0]
             for fading in ("burst", "segment")}
    per_segment = gains["segment"].reshape(4, 10, 5)
    assert torch.allclose(per_segment, per_segment[..., :1].expand(-1, -1, 5))            # constant in a segment
    assert (per_segment[:, 1:, 0] - per_segment[:, :-1, 0]).abs().min() > 1e-4             # new at each one
    assert torch.allclose(gains["burst"], gains["burst"][:, :1].expand(-1, 50))
    with pytest.raises(ValueError, match="fading 'segment': 48 payload symbols do not split into 10 segments"):
        ChannelTwin("rayleigh", 1, 1, "perfect", fading="segment")(x[..., :48], snr, g)
    with pytest.raises(ValueError, match="fading must be one of 'burst', 'segment', got 'fast'"):
        ChannelTwin(fading="fast")


def test_twin_estimation_mse_matches_ls_theory():
    g = torch.Generator().manual_seed(6)
    pilots = torch.from_numpy(make_pilots("zadoff_chu", 2, 10, 16))
    from gnuradio.semcom.nn.channel import complex_noise, draw_channels
    h = draw_channels("rayleigh", 4000, 2, 2, 4.0, g, torch.device("cpu"))
    noise_var = torch.ones(4000)
    received = torch.einsum("bmk,tkl->btml", h, pilots) + complex_noise((4000, 10, 2, 16), noise_var, g, "cpu")
    for mode, energy in (("min_residual", 8), ("joint", 80)):
        mse = float((ls_estimate(pilots, received, mode, noise_var) - h).abs().pow(2).mean())
        assert mse == pytest.approx(1.0 / energy, rel=0.05), mode


def test_zero_forcing_never_returns_nan():
    h = torch.zeros(2, 2, 2, dtype=torch.complex64)
    h[1] = torch.tensor([[1, 2], [2, 4]], dtype=torch.complex64)
    out = zero_forcing(h, torch.ones(2, 2, 5, dtype=torch.complex64))
    assert torch.isfinite(out.real).all() and torch.isfinite(out.imag).all()


def test_bad_twin_parameters():
    with pytest.raises(ValueError, match="csi must be one of 'estimated', 'perfect', 'none_retrained', "
                                         "'none_no_retraining', 'error_free'"):
        ChannelTwin(csi="blind")
    with pytest.raises(ValueError, match="modality must be one of 'av', 'a', 'v'"):
        SemanticSystem(L, "audio")


def test_neural_pilot_from_a_sinusoid(tmp_path):
    from gnuradio.semcom.nn.pilot import PilotEncoder, neural_pilot, sinusoid
    from gnuradio.semcom.phy.pilots import make_pilots
    torch.manual_seed(7)
    encoder = PilotEncoder(pilot_len=8, steps=10).eval()
    tone = sinusoid(seconds=10.0, rate=8000)
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.script(encoder)(tone[None]), encoder(tone[None]), rtol=1e-5, atol=1e-6)
    pilot = neural_pilot(encoder, tone)
    assert pilot.shape == (10, 8) and np.mean(np.abs(pilot) ** 2) == pytest.approx(1.0, rel=1e-5)
    np.save(tmp_path / "pilot.npy", pilot)
    pilots = make_pilots("file", 2, 10, 16, path=str(tmp_path / "pilot.npy"))   # time division: L_p = 2·8
    gram = pilots @ pilots.conj().transpose(0, 2, 1)
    energy = np.sum(np.abs(pilot) ** 2, axis=1)
    np.testing.assert_allclose(gram, energy[:, None, None] * np.eye(2), atol=1e-4)   # orthogonal users


def test_neural_pilot_trains_with_the_system(inputs):
    """pilot 'neural': gradients reach the pilot encoder through LS; its time-division pilot equals what
    the GNU Radio pilot inserter builds from the exported file."""
    from gnuradio.semcom.nn.pilot import neural_pilot, pilot_sequence, time_division
    audio, visual, _ = inputs
    torch.manual_seed(3)
    system = SemanticSystem(L, "av", pilot="neural", pilot_steps=10, pilot_len=16)
    siso, uplink = ChannelTwin("rayleigh", 1, 1), ChannelTwin("rayleigh", 2, 2)
    logits, _, _ = system(audio, visual, siso, uplink, torch.full((audio.shape[0],), 3.0),
                          torch.Generator().manual_seed(1))
    logits.sum().backward()
    grads = [p.grad for p in system.pilot_encoder.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0
    with torch.no_grad():
        sequence = pilot_sequence(system.pilot_encoder.eval(), system.pilot_audio)
    exported = neural_pilot(system.pilot_encoder, system.pilot_audio)
    assert exported.shape == (10, 8)
    np.testing.assert_allclose(time_division(sequence, 2).numpy(), load_pilots_from(exported, 2), atol=1e-6)
    with pytest.raises(ValueError, match="pilot_len 15 must be a multiple of the 2 users"):
        SemanticSystem(L, "av", pilot="neural", pilot_len=15)


def load_pilots_from(array, users):
    import tempfile
    from gnuradio.semcom.phy.pilots import load_pilots
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/pilot.npy"
        np.save(path, array)
        return load_pilots(path, users)


@pytest.mark.parametrize("encoder", ["conv_bn", "conv"])
def test_visual_encoder_keeps_its_units_alive_on_nonnegative_features(encoder):
    """Why ``visual_encoder`` is 'conv_bn' by default (nn/architecture.py): on sparse non-negative visual
    features whose mean dominates their variation between segments (the synthetic AVE's, like pooled
    VGG-19 pool5 maps), a few dozen Adam steps leave no hidden unit of a plain Conv1d + ReLU encoder
    active (almost no activation stays positive), so the transmitter sends a constant; with the batch norm
    about half of them stay positive."""
    from gnuradio.semcom.data.synth import Prototypes, SynthConfig, draw_labels, video_features
    from gnuradio.semcom.nn.architecture import Architecture
    from gnuradio.semcom.nn.models import NUM_CLASSES
    rng = np.random.default_rng(0)
    config = SynthConfig()
    proto = Prototypes(rng, config.audio_pair_similarity, config.visual_pair_similarity)
    annotations = draw_labels(128, rng)
    visual = torch.from_numpy(np.stack([video_features(a, proto, config, rng)[1] for a in annotations]))
    labels = torch.from_numpy(np.stack([a.segment_labels() for a in annotations])).long()
    assert int(labels.max()) < NUM_CLASSES
    torch.manual_seed(0)
    system = SemanticSystem(64, "v", architecture=Architecture(visual_encoder=encoder))
    siso, uplink = system.twins("awgn", "error_free")
    optimiser = torch.optim.Adam(system.parameters(), lr=1e-3)
    audio, snr = torch.zeros(16, 10, 128), torch.full((16,), 10.0)
    for step in range(40):
        rows = slice(16 * (step % 8), 16 * (step % 8) + 16)
        logits, sd_a, sd_v = system(audio, visual[rows], siso, uplink, snr)
        loss = semantic_loss(logits, labels[rows], sd_a, sd_v)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    encoder_blocks = system.video_tx.channel.eval()
    with torch.no_grad():
        hidden = encoder_blocks.bn1(encoder_blocks.conv1(visual.mean(dim=(2, 3)).transpose(1, 2)))
    active = float((hidden > 0).float().mean())          # share of (video, unit, segment) activations > 0
    if encoder == "conv_bn":
        assert active > 0.3
    else:
        assert active < 0.1           # the failure the batch norm prevents (documents it; not a requirement)


def test_model_records_its_pytorch_and_names_both_versions_when_it_cannot_load(tmp_path):
    """manifest.json says which PyTorch wrote the model; a network file the running PyTorch cannot read,
    from a model written by another version, is one InputError naming both versions and what to do."""
    import json

    from conftest import easy_synth, untrained_model
    from gnuradio.semcom.errors import InputError
    from gnuradio.semcom.nn.model_dir import open_model_dir
    model = untrained_model(easy_synth(str(tmp_path / "data"), videos=20), str(tmp_path / "model"), "a")
    manifest_path = tmp_path / "model" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["pytorch_version"] == torch.__version__
    open_model_dir(model).load("receiver")                        # loads in the PyTorch that wrote it
    manifest["pytorch_version"] = "99.1.0"
    manifest_path.write_text(json.dumps(manifest))
    receiver = tmp_path / "model" / manifest["files"]["receiver"]
    receiver.write_bytes(receiver.read_bytes()[:200])              # as unreadable as a file from the future
    with pytest.raises(InputError, match=rf"receiver.pt: written by PyTorch 99\.1\.0, which this PyTorch "
                                         rf"{re.escape(torch.__version__)} cannot load .*retrain.*PyTorch 99\.1\.0"):
        open_model_dir(model).load("receiver")
    manifest.pop("pytorch_version")                               # models from before the field: as before
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(InputError, match="receiver.pt: not a loadable TorchScript file"):
        open_model_dir(model).load("receiver")
