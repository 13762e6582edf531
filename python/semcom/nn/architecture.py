# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Named choices of the networks where the paper's text, the published code it builds on and the
layer list of :data:`LEGACY` model directories differ.

The defaults follow the published code of the paper's building blocks (and, for the paper's own visual
channel encoder, a conventional convolution block with batch norm, see ``visual_encoder``): the audio-guided visual
attention (AGVA) of AVEL (Tian et al., ECCV 2018) and the positive sample propagation (PSP) receiver
of Zhou et al. (CVPR 2021), whose λ = 100 and τ₁ = 0.099 the paper adopts. Each alternative is kept
under its own name, with the reason, and a model directory records the choices it was trained with
in ``manifest.json`` (field ``architecture``). A manifest without that field is read as
:data:`LEGACY` (the layer list such model directories were trained with), so that they keep loading
and their transmitters keep fitting ``--transmitters-from`` (CHANGELOG.md).

This module does not import torch: the GNU Radio blocks read manifests without it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from ..errors import InputError

CHOICES = {
    # AGVA (eq. 2-3). 'per_cell': as AVEL/PSP, W_a¹ M_a(a*_t) ∈ R^k with k = 49 spatial cells is added
    # to row i of W_v¹ M_v(v_t) ∈ R^(49×k) (one audio term per cell), d = 512. 'per_feature': one
    # reading of eq. 3's text, the audio term is added per hidden feature (broadcast over the
    # cells), k = d = 256; the LEGACY layout.
    "agva": ("per_cell", "per_feature"),
    # PSP's four projections W_v², W_a², W₂ᵛ, W₂ᵃ (eq. 10, 14-15). 'relu_dropout': Linear without
    # bias + ReLU + Dropout(0.1), as published; 'linear': the plain linear maps of the equations.
    "psp_projection": ("relu_dropout", "linear"),
    # After propagation. 'fc_layernorm': per stream Linear (no bias) + ReLU + Dropout(0.1), then one
    # LayerNorm shared by both streams before averaging (the published code; the paper's "linear
    # layers, then simple averaging"); 'none': SD_a and SD_v of eq. 14-15 are averaged directly.
    "psp_output": ("fc_layernorm", "none"),
    # The two fully connected layers after fusion. 'psp': 256 → 64 → 29 without biases, as
    # published; 'wide': 256 → 256 → 29 with biases (LEGACY).
    "classifier": ("psp", "wide"),
    # The first of the visual channel encoder's two convolution blocks (Fig. 3, "two Conv2 blocks"; the
    # paper's own layer, not in AVEL/PSP, which feed the attended features to an LSTM). 'conv_bn':
    # Conv1d (no bias) + BatchNorm1d + ReLU, the conventional convolution block; 'conv': Conv1d + ReLU
    # (LEGACY). Why the batch norm: the block's input, pooled or attended VGG-19 pool5
    # features, is non-negative with a mean that dominates its variation from segment to segment. While
    # the network fits the class prior, every weight of a hidden unit then gets a gradient of the same
    # sign, Adam moves each by about the learning rate, and the unit's pre-activation shifts by about
    # lr·Σx (0.08 per step at lr 1e-3 on the synthetic AVE, against a spread of 0.016 between
    # segments): within some 40 steps every hidden unit is negative for every input, the ReLUs are
    # dead, the transmitter sends a constant and the visual stream never learns. This does not depend
    # on the feature scale (Adam's steps do not), and a learning rate 3× lower only slows it down; a
    # batch norm keeps each unit's pre-activation centred over the batch, so half of it stays active.
    "visual_encoder": ("conv_bn", "conv"),
    # What the transmitters' 2L reals may put in a symbol's modulus. 'free': the Euler map's
    # r + i·s (eq. 1), power normalised per burst, as in the paper; 'constant': each symbol scaled to
    # unit modulus inside the transmitter network, so only its phase carries information. An
    # experiment, not the paper's system: it takes the class information out of each user's symbol
    # powers, which no channel matrix can hide from a receiver without channel estimation (Table I).
    "envelope": ("free", "constant"),
    # How much of a burst the receiver network sees at once. 'burst': the 10 segments of a video
    # together, as PSP (its propagation relates every audio segment to every visual one); 'segment':
    # each one-second segment on its own (PSP then has a single pair to relate). An experiment, not the
    # paper's system: a receiver without channel estimation then has only one segment's 64 symbols per
    # user and antenna to infer the channel from, not the whole burst's statistics (Table I).
    "receiver_span": ("burst", "segment"),
}
# Fields added after manifests began recording the architecture, with the value that a manifest or
# checkpoint written before them means (the layer list of those versions).
ADDED_FIELDS = {"visual_encoder": "conv", "envelope": "free", "receiver_span": "burst"}


@dataclass(frozen=True)
class Architecture:
    """The networks' named options (see :data:`CHOICES`) and PSP's threshold τ₁ (eq. 12-13)."""

    agva: str = "per_cell"
    # LayerNorm over the 512 channels of each visual cell before AGVA (and before the video-only
    # system's average pooling). Not in AVEL/PSP, which attend over the raw VGG-19 maps; LEGACY
    # models have it: it makes training independent of the feature scale (synthetic vs VGG-19).
    visual_norm: bool = False
    psp_projection: str = "relu_dropout"
    psp_output: str = "fc_layernorm"
    classifier: str = "psp"
    visual_encoder: str = "conv_bn"
    envelope: str = "free"
    receiver_span: str = "burst"
    tau: float = 0.099

    def __post_init__(self):
        self.check("Architecture")

    def check(self, source: str) -> None:
        """ValueError naming ``source`` and the field of any value out of range."""
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise InputError(f"{source}: architecture.{name} must be one of "
                                 f"{', '.join(map(repr, allowed))}, got {value!r}")
        if not isinstance(self.visual_norm, bool):
            raise InputError(f"{source}: architecture.visual_norm must be true or false, got {self.visual_norm!r}")
        if not isinstance(self.tau, (int, float)) or isinstance(self.tau, bool) or not 0.0 <= self.tau < 1.0:
            raise InputError(f"{source}: architecture.tau must be a number in [0, 1), got {self.tau!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values, source: str) -> "Architecture":
        """From a manifest's or checkpoint's ``architecture`` object; ``None`` (absent) → :data:`LEGACY`.
        A field of :data:`ADDED_FIELDS` that is absent takes the value it had before the field existed.
        Unknown, missing or invalid fields are a ValueError naming ``source`` and the field."""
        if values is None:
            return LEGACY
        if not isinstance(values, dict):
            raise InputError(f"{source}: architecture must be an object, got {type(values).__name__}")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise InputError(f"{source}: unknown field architecture.{unknown[0]} (this gr-semcom knows "
                             f"{', '.join(sorted(names))})")
        values = {**{k: v for k, v in ADDED_FIELDS.items() if k in names}, **values}
        missing = sorted(names - set(values))
        if missing:
            raise InputError(f"{source}: architecture.{missing[0]} missing")
        try:
            return cls(**values)
        except ValueError as exc:
            raise InputError(str(exc).replace("Architecture:", f"{source}:", 1)) from None

    def differences(self, other: "Architecture", names=None) -> list:
        """Names of the fields (of ``names``, default all) where the two differ."""
        return [f.name for f in fields(self) if (names is None or f.name in names)
                and getattr(self, f.name) != getattr(other, f.name)]


PUBLISHED = Architecture()
LEGACY = Architecture(agva="per_feature", visual_norm=True, psp_projection="linear", psp_output="none",
                      classifier="wide", visual_encoder="conv")
# the options that shape the transmitters' networks
TRANSMITTER_FIELDS = ("agva", "visual_norm", "visual_encoder", "envelope")
