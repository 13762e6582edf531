# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""What GNU Radio Companion reads from a model directory while a flowgraph is drawn.

The terminal blocks' port sizes, the receiver's inputs and the pilot settings are defined by the
model directory (``manifest.json``, see docs/data-formats.md); the block files evaluate
``semcom.model_ports(model)`` so nobody types them again. A folder that does not exist yet gets the
defaults of ``semcom train`` (so a flowgraph can be drawn, and compiled by grcc, before training);
the blocks check the real model when the flowgraph starts.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from ..data.ave import AUDIO_SHAPE, VISUAL_SHAPE
from ..phy.pilots import PilotSettings


@dataclass(frozen=True)
class ModelPorts:
    symbols: int = 64                 # complex symbols per segment and user (L), `semcom train --symbols`
    modality: str = "av"
    audio_dim: int = AUDIO_SHAPE[1]
    visual_size: int = VISUAL_SHAPE[1] * VISUAL_SHAPE[2] * VISUAL_SHAPE[3]
    pilots: PilotSettings = PilotSettings()   # GRC: model_ports.pilots.source, .steps, .file, .length_for(K)
    found: bool = False               # False: the defaults above, the folder does not exist (yet)

    @property
    def floats(self) -> int:
        """Floats per segment between a terminal network and its Euler mapper/demapper (d = 2L)."""
        return 2 * self.symbols

    @property
    def receiver_inputs(self) -> int:
        return len(self.modality)

    @property
    def uplink_users(self) -> int:
        """Users K of the uplink to the receiver: both terminals for a multimodal model, else one."""
        return 2 if self.modality == "av" else 1

    @property
    def audio_link(self) -> bool:
        """Whether the video terminal takes the audio received over the SISO link (AGVA)."""
        return self.modality == "av"


def model_ports(folder: str) -> ModelPorts:
    """The port sizes, modality and pilots of the model directory ``folder`` ('' = the demo's, see
    :mod:`semcom.user_data`).

    ``semcom train``'s defaults where ``folder`` does not exist; InputError naming the file and field
    where it exists but is not a model directory."""
    from ..user_data import model_folder
    folder = model_folder(folder)
    if not os.path.isdir(folder):
        return ModelPorts()
    manifest = os.path.join(folder, "manifest.json")
    stamp = os.stat(manifest).st_mtime_ns if os.path.isfile(manifest) else None
    return _read_ports(os.path.abspath(folder), stamp)


@lru_cache(maxsize=16)
def _read_ports(folder: str, stamp) -> ModelPorts:
    """model_ports of ``folder`` as its manifest was at ``stamp`` (GRC evaluates every port of every block
    at each edit: the manifest is read again only when it changes)."""
    from ..nn.model_dir import open_model_dir
    model = open_model_dir(folder)
    m = model.manifest
    size = 1
    for n in m["visual_shape"]:
        size *= int(n)
    return ModelPorts(symbols=model.symbols, modality=model.modality, audio_dim=int(m["audio_dim"]),
                      visual_size=size, pilots=model.pilot_settings(), found=True)
