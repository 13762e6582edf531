# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The receiver (PSP) and the AGVA against their equations written out here in NumPy, independently of
nn/models.py: the PSP paper's eq. and the layer list of its published code (Linear + ReLU + Dropout
projections, per-stream Linear + ReLU + Dropout and a shared LayerNorm after propagation, classifier
256 → 64 → 29 without biases), AVEL's attention (audio term per spatial cell); each named option against
its own equations. Weights drawn here are copied into the modules; eval mode, float64, 1e-5. The loss
against eq. 16-18 with λ = 100, and Table I's two CSI readings in the channel twin."""
import numpy as np
import pytest

import torch  # noqa: E402  (a missing PyTorch fails the suite)

from gnuradio.semcom.nn.architecture import LEGACY, PUBLISHED, Architecture  # noqa: E402
from gnuradio.semcom.nn.models import Receiver, VideoTransmitter, semantic_loss  # noqa: E402

L = 8              # complex symbols per segment: 2L = 16 reals
T, B = 10, 3
BACKGROUND = 28


# ---- written-out layers (x: (..., in); w: (out, in)) ------------------------------------------------
def linear(x, w, b=None):
    y = x @ w.T
    return y if b is None else y + b


def relu(x):
    return np.maximum(x, 0.0)


def conv_same(x, w, b):
    """1-D convolution along T with kernel 3, zero padding 1: x (T, C_in), w (C_out, C_in, 3)."""
    padded = np.concatenate([np.zeros((1, x.shape[1])), x, np.zeros((1, x.shape[1]))])
    return sum(padded[k:k + x.shape[0]] @ w[:, :, k].T for k in range(3)) + b


def layer_norm(x, gain, bias, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gain + bias


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def l1_rows(w):
    return w / (w.sum(-1, keepdims=True) + 1e-8)


# ---- weights: drawn here (role → array), then copied into the module under its parameter names -------
class Weights(dict):
    def __init__(self, seed):
        super().__init__()
        self.rng = np.random.default_rng(seed)

    def draw(self, key, *shape, scale=None):
        fan_in = shape[-1] if len(shape) == 2 else int(np.prod(shape[1:]))
        self[key] = self.rng.standard_normal(shape) * (scale if scale is not None else 1.0 / np.sqrt(fan_in))
        return self[key]


def load(module, weights):
    state = module.state_dict()
    assert set(weights) == set(state), f"parameters differ: {sorted(set(weights) ^ set(state))}"
    for key, value in weights.items():
        assert tuple(state[key].shape) == value.shape, key
    module.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
    return module.eval()


# ---- the receiver -------------------------------------------------------------------------------------
def receiver_weights(arch: Architecture, seed=1):
    w = Weights(seed)
    d = 256
    w.draw("audio_decoder.fc1.weight", 256, 2 * L), w.draw("audio_decoder.fc1.bias", 256, scale=0.1)
    w.draw("audio_decoder.fc2.weight", 256, 256), w.draw("audio_decoder.fc2.bias", 256, scale=0.1)
    w.draw("visual_decoder.conv1.weight", 512, 2 * L, 3), w.draw("visual_decoder.conv1.bias", 512, scale=0.1)
    w.draw("visual_decoder.conv2.weight", 512, 512, 3), w.draw("visual_decoder.conv2.bias", 512, scale=0.1)
    w.draw("map_a.weight", d, 256), w.draw("map_a.bias", d, scale=0.1)
    w.draw("map_v.weight", d, 512), w.draw("map_v.bias", d, scale=0.1)
    for name in ("q_v", "q_a", "p_v", "p_a"):                  # W_v², W_a², W₂ᵛ, W₂ᵃ: no bias
        w.draw(f"psp.{name}.weight", d, d, scale=2.0 / np.sqrt(d))
    if arch.psp_output == "fc_layernorm":
        w.draw("psp.fc_a.weight", d, d), w.draw("psp.fc_v.weight", d, d)
        w["psp.norm.weight"] = 1.0 + 0.1 * w.rng.standard_normal(d)
        w["psp.norm.bias"] = 0.1 * w.rng.standard_normal(d)
    if arch.classifier == "psp":
        w.draw("fc1.weight", 64, d), w.draw("fc2.weight", 29, 64)
    else:
        w.draw("fc1.weight", d, d), w.draw("fc1.bias", d, scale=0.1)
        w.draw("fc2.weight", 29, d), w.draw("fc2.bias", 29, scale=0.1)
    return w


def receiver_reference(w, arch: Architecture, audio, visual):
    """Fig. 5 and eq. 10-15 for one video: audio, visual (T, 2L) → logits, SD_a, SD_v."""
    m_a = linear(relu(linear(relu(linear(audio, w["audio_decoder.fc1.weight"], w["audio_decoder.fc1.bias"])),
                             w["audio_decoder.fc2.weight"], w["audio_decoder.fc2.bias"])),
                 w["map_a.weight"], w["map_a.bias"])                                                   # Mᵃ
    v = relu(conv_same(visual, w["visual_decoder.conv1.weight"], w["visual_decoder.conv1.bias"]))
    v = relu(conv_same(v, w["visual_decoder.conv2.weight"], w["visual_decoder.conv2.bias"]))
    m_v = linear(v, w["map_v.weight"], w["map_v.bias"])                                                # Mᵛ

    def projection(x, name):
        y = linear(x, w[f"psp.{name}.weight"])
        return relu(y) if arch.psp_projection == "relu_dropout" else y     # dropout: identity in eval

    d_l = m_a.shape[-1]
    omega_va = projection(m_v, "q_v") @ projection(m_a, "q_a").T / np.sqrt(d_l)     # eq. 10
    omega_av = omega_va.T

    def positive(omega):
        hat = l1_rows(relu(omega))                                                   # eq. 11
        return l1_rows(hat * (hat > arch.tau))                                       # eq. 12-13

    sd_a = positive(omega_av) @ projection(m_v, "p_v") + m_a                         # eq. 14
    sd_v = positive(omega_va) @ projection(m_a, "p_a") + m_v                         # eq. 15
    if arch.psp_output == "fc_layernorm":
        gain, bias = w["psp.norm.weight"], w["psp.norm.bias"]
        sd_a = layer_norm(relu(linear(sd_a, w["psp.fc_a.weight"])), gain, bias, 1e-6)
        sd_v = layer_norm(relu(linear(sd_v, w["psp.fc_v.weight"])), gain, bias, 1e-6)
    fused = 0.5 * (sd_a + sd_v)
    logits = linear(relu(linear(fused, w["fc1.weight"], w.get("fc1.bias"))), w["fc2.weight"], w.get("fc2.bias"))
    return logits, sd_a, sd_v


RECEIVER_OPTIONS = {
    "published": PUBLISHED,
    "linear projections": Architecture(psp_projection="linear"),
    "no output layers": Architecture(psp_output="none"),
    "wide classifier": Architecture(classifier="wide"),
    "tau 0.2": Architecture(tau=0.2),
    "legacy": LEGACY,
}


@pytest.mark.parametrize("name", RECEIVER_OPTIONS)
def test_receiver_equals_written_out_psp(name):
    arch = RECEIVER_OPTIONS[name]
    torch.manual_seed(0)
    w = receiver_weights(arch)
    module = load(Receiver(L, "av", architecture=arch).double(), w)
    rng = np.random.default_rng(2)
    audio, visual = rng.standard_normal((B, T, 2 * L)), rng.standard_normal((B, T, 2 * L))
    with torch.no_grad():
        got = module(torch.from_numpy(audio), torch.from_numpy(visual))
        scripted = torch.jit.script(module)(torch.from_numpy(audio), torch.from_numpy(visual))
    for b in range(B):
        want = receiver_reference(w, arch, audio[b], visual[b])
        for g, s, r in zip(got, scripted, want):
            np.testing.assert_allclose(g[b].numpy(), r, rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(s[b].numpy(), r, rtol=1e-5, atol=1e-5)


def test_psp_threshold_prunes_weak_pairs():
    """The written-out reference is not vacuous: τ₁ removes pairs here, so a receiver that skipped the
    threshold would differ."""
    arch = PUBLISHED
    w = receiver_weights(arch)
    rng = np.random.default_rng(2)
    audio, visual = rng.standard_normal((T, 2 * L)), rng.standard_normal((T, 2 * L))
    pruned = receiver_reference(w, arch, audio, visual)[0]
    kept = receiver_reference(w, Architecture(tau=0.0), audio, visual)[0]
    assert np.abs(pruned - kept).max() > 1e-3


# ---- the video terminal: audio decoder, AGVA, visual channel encoder -----------------------------------
def video_weights(arch: Architecture, seed=3):
    w = Weights(seed)
    w.draw("audio_decoder.fc1.weight", 256, 2 * L), w.draw("audio_decoder.fc1.bias", 256, scale=0.1)
    w.draw("audio_decoder.fc2.weight", 128, 256), w.draw("audio_decoder.fc2.bias", 128, scale=0.1)
    if arch.visual_norm:
        w["norm.weight"] = 1.0 + 0.1 * w.rng.standard_normal(512)
        w["norm.bias"] = 0.1 * w.rng.standard_normal(512)
    d, k = (512, 49) if arch.agva == "per_cell" else (256, 256)
    w.draw("agva.m_v.weight", d, 512), w.draw("agva.m_v.bias", d, scale=0.1)              # M_v
    w.draw("agva.m_a.weight", d, 128), w.draw("agva.m_a.bias", d, scale=0.1)              # M_a
    w.draw("agva.w_v.weight", k, d), w.draw("agva.w_a.weight", k, d)                      # W_v¹, W_a¹
    w.draw("agva.w_f.weight", 1, k, scale=3.0 / np.sqrt(k))                               # W_f
    w.draw("channel.conv1.weight", 256, 512, 3)
    if arch.visual_encoder == "conv_bn":           # Conv1d without bias, BatchNorm1d (eval: running statistics)
        w["channel.bn1.weight"] = 1.0 + 0.1 * w.rng.standard_normal(256)
        w["channel.bn1.bias"] = 0.1 * w.rng.standard_normal(256)
        w["channel.bn1.running_mean"] = 0.1 * w.rng.standard_normal(256)
        w["channel.bn1.running_var"] = w.rng.uniform(0.5, 2.0, 256)
        w["channel.bn1.num_batches_tracked"] = np.array(7)
    else:
        w.draw("channel.conv1.bias", 256, scale=0.1)
    w.draw("channel.conv2.weight", 2 * L, 256, 3), w.draw("channel.conv2.bias", 2 * L, scale=0.1)
    return w


def agva_reference(w, arch: Architecture, cells, audio):
    """Eq. 2-3 for one segment: cells (49, 512), received audio feature a*_t (128,) → v_att_t (512,)."""
    m_v = relu(linear(cells, w["agva.m_v.weight"], w["agva.m_v.bias"]))          # (49, d)
    m_a = relu(linear(audio, w["agva.m_a.weight"], w["agva.m_a.bias"]))          # (d,)
    visual_term = linear(m_v, w["agva.w_v.weight"])                              # (49, k)
    audio_term = linear(m_a, w["agva.w_a.weight"])                               # (k,)
    if arch.agva == "per_cell":          # AVEL/PSP: entry i of the audio term goes to cell i, all of row i
        content = visual_term + audio_term[:, None]
    else:                                # per hidden feature: the same audio term for every cell
        content = visual_term + audio_term[None, :]
    alpha = softmax(linear(np.tanh(content), w["agva.w_f.weight"])[:, 0])       # (49,)
    return alpha @ cells


def video_reference(w, arch: Architecture, visual, received):
    """One video: visual (T, 7, 7, 512), received audio (T, 2L) → (T, 2L)."""
    audio = linear(relu(linear(received, w["audio_decoder.fc1.weight"], w["audio_decoder.fc1.bias"])),
                   w["audio_decoder.fc2.weight"], w["audio_decoder.fc2.bias"])                     # a*_t
    cells = visual.reshape(T, 49, 512)
    if arch.visual_norm:
        cells = layer_norm(cells, w["norm.weight"], w["norm.bias"], 1e-5)
    attended = np.stack([agva_reference(w, arch, cells[t], audio[t]) for t in range(T)])
    pre = conv_same(attended, w["channel.conv1.weight"], w.get("channel.conv1.bias", 0.0))
    if arch.visual_encoder == "conv_bn":
        pre = ((pre - w["channel.bn1.running_mean"]) / np.sqrt(w["channel.bn1.running_var"] + 1e-5)
               * w["channel.bn1.weight"] + w["channel.bn1.bias"])
    return conv_same(relu(pre), w["channel.conv2.weight"], w["channel.conv2.bias"])


VIDEO_OPTIONS = {
    "published": PUBLISHED,
    "per-feature AGVA": Architecture(agva="per_feature"),
    "visual norm": Architecture(visual_norm=True),
    "plain conv encoder": Architecture(visual_encoder="conv"),
    "legacy": LEGACY,
}


@pytest.mark.parametrize("name", VIDEO_OPTIONS)
def test_video_transmitter_equals_written_out_agva(name):
    arch = VIDEO_OPTIONS[name]
    w = video_weights(arch)
    module = load(VideoTransmitter(L, architecture=arch).double(), w)
    rng = np.random.default_rng(4)
    visual, received = rng.random((B, T, 7, 7, 512)), rng.standard_normal((B, T, 2 * L))
    with torch.no_grad():
        got = module(torch.from_numpy(visual), torch.from_numpy(received)).numpy()
        scripted = torch.jit.script(module)(torch.from_numpy(visual), torch.from_numpy(received)).numpy()
    for b in range(B):
        want = video_reference(w, arch, visual[b], received[b])
        np.testing.assert_allclose(got[b], want, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(scripted[b], want, rtol=1e-5, atol=1e-5)


def test_per_cell_and_per_feature_attention_differ():
    """The two AGVA readings are different functions: the same weights (d = k = 49 here) attend differently."""
    rng = np.random.default_rng(5)
    w = {"agva.m_v.weight": rng.standard_normal((49, 512)) / 20, "agva.m_v.bias": np.zeros(49),
         "agva.m_a.weight": rng.standard_normal((49, 128)) / 10, "agva.m_a.bias": np.zeros(49),
         "agva.w_v.weight": rng.standard_normal((49, 49)) / 7, "agva.w_a.weight": rng.standard_normal((49, 49)) / 7,
         "agva.w_f.weight": rng.standard_normal((1, 49))}
    cells, audio = rng.random((49, 512)), rng.random(128)
    per_cell = agva_reference(w, PUBLISHED, cells, audio)
    per_feature = agva_reference(w, Architecture(agva="per_feature"), cells, audio)
    assert np.abs(per_cell - per_feature).max() > 1e-4


# ---- the loss of eq. 16-18 ------------------------------------------------------------------------------
def loss_reference(logits, labels, sd_a, sd_v, lam, similarity):
    """Eq. 16-18 written out per segment, float64."""
    b_count, t_count, _ = logits.shape
    ce = 0.0
    for b in range(b_count):
        for t in range(t_count):
            z = logits[b, t] - logits[b, t].max()
            ce -= z[labels[b, t]] - np.log(np.exp(z).sum())
    ce /= b_count * t_count                                       # eq. 16, averaged over the segments
    mse = 0.0
    for b in range(b_count):
        cos = np.array([sd_a[b, t] @ sd_v[b, t] / (np.linalg.norm(sd_a[b, t]) * np.linalg.norm(sd_v[b, t]))
                        for t in range(t_count)])
        if similarity == "psp":
            event = labels[b].min()                                # the video's event class (28: none)
            g = (labels[b] == event).astype(float)
            g /= g.sum()
            s = np.maximum(cos, 0.0)
            s /= s.sum() + 1e-8
        else:
            g = (labels[b] != BACKGROUND).astype(float)
            s = cos
        mse += ((s - g) ** 2).sum()
    mse /= b_count * t_count                                      # eq. 17
    return ce + lam * mse                                         # eq. 18


@pytest.mark.parametrize("similarity", ["psp", "paper"])
def test_loss_equals_equations_16_to_18(similarity):
    rng = np.random.default_rng(6)
    labels = np.full((4, T), BACKGROUND)
    labels[0, 2:7] = 5                        # an event in the middle
    labels[1, :] = 11                         # event everywhere
    labels[2, [0, 9]] = 3                     # two event segments
    # video 3: background only
    logits = rng.standard_normal((4, T, 29)) * 2
    sd_a, sd_v = rng.standard_normal((4, T, 16)), rng.standard_normal((4, T, 16))
    sd_v[0] += 1.5 * sd_a[0]                  # some strongly aligned pairs
    got = semantic_loss(*(torch.from_numpy(x) for x in (logits, labels, sd_a, sd_v)), 100.0, similarity)
    want = loss_reference(logits, labels, sd_a, sd_v, 100.0, similarity)
    assert float(got) == pytest.approx(want, rel=1e-6)
    assert float(semantic_loss(*(torch.from_numpy(x) for x in (logits, labels, sd_a, sd_v)))) == pytest.approx(
        loss_reference(logits, labels, sd_a, sd_v, 100.0, "psp"), rel=1e-6)      # the defaults: λ = 100, psp
    ce_only = loss_reference(logits, labels, sd_a, sd_v, 0.0, similarity)
    assert want - ce_only > 0.1               # the similarity term matters at λ = 100


# ---- Table I and its diagnostic in the twin -----------------------------------------------------------------
def test_without_estimation_the_receiver_gets_faded_antenna_signals():
    """csi 'none_retrained' and 'none_no_retraining' give the receiver Y = HX + N, antenna m where ZF's user m went;
    the SISO link to the video terminal still estimates its channel; the modules are the trained ones."""
    from gnuradio.semcom.nn.channel import ChannelTwin, draw_channels
    from gnuradio.semcom.nn.system import SemanticSystem
    torch.manual_seed(7)
    system = SemanticSystem(L, "av").eval()
    for csi in ("none_retrained", "none_no_retraining"):
        siso, uplink = system.twins("rayleigh", csi)
        assert siso.csi == "estimated" and uplink.csi == csi
    g = torch.Generator().manual_seed(8)
    x = torch.complex(torch.randn(64, 2, 40, generator=g), torch.randn(64, 2, 40, generator=g)) / np.sqrt(2)
    snr = torch.full((64,), 30.0)
    raw = ChannelTwin("rayleigh", 2, 2, "none_no_retraining")(x, snr, torch.Generator().manual_seed(9))
    retrained = ChannelTwin("rayleigh", 2, 2, "none_retrained")(x, snr, torch.Generator().manual_seed(9))
    torch.testing.assert_close(raw, retrained)
    h = draw_channels("rayleigh", 64, 2, 2, 4.0, torch.Generator().manual_seed(9), torch.device("cpu"))
    noise = float((raw - h @ x).abs().pow(2).mean())
    assert noise == pytest.approx(1e-3, rel=0.1)                       # Y − HX is the noise of 30 dB
    detected = ChannelTwin("rayleigh", 2, 2, "perfect")(x, snr, torch.Generator().manual_seed(9))
    assert float((detected - x).abs().pow(2).mean()) < 0.01 < float((raw - x).abs().pow(2).mean())

    # the same trained system, the same videos: estimation removed costs accuracy on a fading channel
    rng = np.random.default_rng(10)
    audio = torch.from_numpy(rng.random((16, T, 128)).astype(np.float32))
    visual = torch.from_numpy(rng.random((16, T, 7, 7, 512)).astype(np.float32))
    with torch.no_grad():
        outputs = {csi: system(audio, visual, *system.twins("rayleigh", csi), torch.full((16,), 30.0),
                               torch.Generator().manual_seed(11))[0] for csi in ("perfect", "none_no_retraining")}
        clean = system(audio, visual, *system.twins("rayleigh", "error_free"), torch.full((16,), 30.0))[0]
    assert float((outputs["perfect"] - clean).abs().max()) < float((outputs["none_no_retraining"] - clean).abs().max())


def test_training_refuses_the_diagnostic_and_needs_matching_transmitters(tmp_path):
    from conftest import easy_synth
    from gnuradio.semcom.train.trainer import TrainConfig, Trainer
    data = easy_synth(str(tmp_path / "synth"))
    with pytest.raises(ValueError, match="csi 'none_no_retraining' is a diagnostic .* Table I as the paper ran it"):
        Trainer(TrainConfig(data=data, out=str(tmp_path / "x"), csi="none_no_retraining", limit=8))
    source = tmp_path / "legacy"
    source.mkdir()
    (source / "best_model.pt").write_bytes(b"")
    import json
    (source / "manifest.json").write_text(json.dumps({"format_version": 1}))     # no architecture: legacy
    with pytest.raises(ValueError, match=r"manifest.json: the transmitters were trained with architecture.agva"):
        Trainer(TrainConfig(data=data, out=str(tmp_path / "y"), csi="none_retrained", limit=8,
                            transmitters_from=str(source)))


# ---- model directories: the manifest records the options; older manifests read as the old layer list ---
def test_manifest_records_the_architecture_and_older_manifests_load(tmp_path):
    import json
    from conftest import easy_synth, untrained_model
    from gnuradio.semcom.nn.model_dir import open_model_dir
    from gnuradio.semcom.nn.system import SemanticSystem
    data = easy_synth(str(tmp_path / "synth"), videos=40)
    folder = untrained_model(data, str(tmp_path / "model"), symbols=L)
    path = tmp_path / "model" / "manifest.json"
    manifest = json.loads(path.read_text())
    assert manifest["architecture"] == PUBLISHED.to_dict()
    assert open_model_dir(folder).architecture == PUBLISHED
    system = SemanticSystem.from_model_dir(folder)
    assert system.architecture == PUBLISHED

    older = {k: v for k, v in manifest.items() if k != "architecture"}
    older["csi"] = "none"                     # the older name of a retrained receiver
    path.write_text(json.dumps(older))
    model = open_model_dir(folder)
    assert model.architecture == LEGACY and model.trained_csi == "none_retrained"
    before_encoder = {k: v for k, v in manifest["architecture"].items() if k != "visual_encoder"}
    path.write_text(json.dumps({**manifest, "architecture": before_encoder}))   # written before that option
    assert open_model_dir(folder).architecture == Architecture(visual_encoder="conv")
    before_envelope = {k: v for k, v in manifest["architecture"].items() if k not in ("envelope", "receiver_span")}
    path.write_text(json.dumps({**manifest, "architecture": before_envelope}))
    assert open_model_dir(folder).architecture == PUBLISHED
    for bad, message in (({**PUBLISHED.to_dict(), "agva": "diagonal"}, "architecture.agva must be one of"),
                         ({**PUBLISHED.to_dict(), "dropout": 0.2}, "unknown field architecture.dropout"),
                         ({k: v for k, v in PUBLISHED.to_dict().items() if k != "tau"}, "architecture.tau missing")):
        path.write_text(json.dumps({**manifest, "architecture": bad}))
        with pytest.raises(ValueError, match=f"{path}: {message}"):
            open_model_dir(folder)
