# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""A trained model directory: ``manifest.json`` + one TorchScript file per terminal network.

Written by :meth:`semcom.train.trainer.Trainer.export`; read by the terminal blocks and the apps,
which check it here before any flowgraph starts.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

from .architecture import Architecture
from ..phy.pilots import PILOT_SOURCES, PilotSettings
from ..errors import InputError

FORMAT_VERSION = 1
NETWORKS = {"av": ("audio_transmitter", "video_transmitter", "receiver"),
            "a": ("audio_transmitter", "receiver"),
            "v": ("video_transmitter", "receiver")}
REQUIRED = ("format_version", "modality", "audio_dim", "visual_shape", "segments", "symbols_per_segment",
            "pilots", "files")


@dataclass(frozen=True)
class ModelDirectory:
    folder: str
    manifest: dict

    @property
    def modality(self) -> str:
        return self.manifest["modality"]

    @property
    def symbols(self) -> int:
        """Complex channel symbols per segment and user (L); the Euler map's d = 2L."""
        return int(self.manifest["symbols_per_segment"])

    @property
    def segments(self) -> int:
        return int(self.manifest["segments"])

    @property
    def architecture(self) -> Architecture:
        """The networks' options (field ``architecture``); a manifest without it predates them and is read
        as the layer list of those versions (:data:`semcom.nn.architecture.LEGACY`)."""
        return Architecture.from_dict(self.manifest.get("architecture"), os.path.join(self.folder, "manifest.json"))

    @property
    def trained_csi(self) -> str:
        """The CSI mode the model was trained for. A manifest that says 'none' (an older name) is a receiver
        retrained on the raw antenna signals: 'none_retrained'."""
        csi = self.manifest.get("csi", "estimated")
        return "none_retrained" if csi == "none" else csi

    @property
    def trained_fading(self) -> str:
        """How the channel twin faded in training: 'burst' (also for manifests older than the field) or 'segment'."""
        return self.manifest.get("fading", "burst")

    @property
    def uplink_users(self) -> int:
        return 2 if self.modality == "av" else 1

    def path(self, network: str) -> str:
        return os.path.join(self.folder, self.manifest["files"][network])

    def pilot_settings(self) -> PilotSettings:
        """The pilots of the model's links (manifest field ``pilots``; a pilot file's path made absolute)."""
        p = self.manifest["pilots"]
        return PilotSettings(source=p["source"], steps=int(p["steps"]), length=int(p["length"]),
                             file=os.path.join(self.folder, p["file"]) if p["source"] == "file" else "")

    def load(self, network: str, device="cpu"):
        """The TorchScript module of ``network`` (in eval mode) on ``device`` (a torch.device or its name)."""
        import torch
        if network not in self.manifest["files"]:
            raise InputError(f"{self.folder}: a {self.modality!r} model has no {network} "
                             f"(files: {', '.join(self.manifest['files'])})")
        try:
            return torch.jit.load(self.path(network), map_location=device).eval()
        except (RuntimeError, ValueError, OSError) as exc:
            written_by = self.manifest.get("pytorch_version")
            if written_by and written_by != torch.__version__:
                raise InputError(
                    f"{self.path(network)}: written by PyTorch {written_by}, which this PyTorch {torch.__version__} "
                    f"cannot load ({(str(exc).splitlines() or [type(exc).__name__])[0]}); retrain the "
                    f"model with this PyTorch (semcom train), or run gr-semcom with PyTorch {written_by}") from None
            raise InputError(f"{self.path(network)}: not a loadable TorchScript file ({exc})") from None

    def require_symbols(self, symbols: int) -> None:
        """``symbols`` > 0 (a flowgraph's port size) must equal the model's; 0 accepts the model's."""
        if symbols and int(symbols) != self.symbols:
            raise InputError(f"{self.folder}: the model sends {self.symbols} symbols per segment; the flowgraph "
                             f"is set for symbols={symbols}")

    def require_modality(self, *allowed: str) -> None:
        if self.modality not in allowed:
            raise InputError(f"{self.folder}: model modality is {self.modality!r}; this needs "
                             + " or ".join(map(repr, allowed)))


def open_model_dir(folder: str) -> ModelDirectory:
    """Read and check ``folder/manifest.json`` and that every network file it lists exists."""
    path = os.path.join(folder, "manifest.json")
    if not os.path.isfile(path):
        raise InputError(f"{path}: missing (a model directory is written by `semcom train`)")
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise InputError(f"{path}: expected a JSON object")
    missing = [key for key in REQUIRED if key not in manifest]
    if missing:
        raise InputError(f"{path}: missing field(s) {', '.join(missing)}")
    if manifest["format_version"] != FORMAT_VERSION:
        raise InputError(f"{path}: format_version {manifest['format_version']!r}; this gr-semcom reads "
                         f"{FORMAT_VERSION}")
    if not isinstance(manifest["modality"], str) or manifest["modality"] not in NETWORKS:
        raise InputError(f"{path}: modality must be 'av', 'a' or 'v', got {manifest['modality']!r}")
    if not isinstance(manifest["files"], dict):
        raise InputError(f"{path}: files must be an object {{network: file name}}, got {manifest['files']!r}")
    for network in NETWORKS[manifest["modality"]]:
        name = manifest["files"].get(network)
        if not name or not isinstance(name, str):
            raise InputError(f"{path}: files.{network} missing (or not a file name) for modality "
                             f"{manifest['modality']!r}")
        if not os.path.isfile(os.path.join(folder, name)):
            raise InputError(f"{os.path.join(folder, name)}: missing (listed in {path} as files.{network})")
    def positive_int(value) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 1
    fields = {"audio_dim": manifest["audio_dim"], "segments": manifest["segments"],
              "symbols_per_segment": manifest["symbols_per_segment"]}
    shape = manifest["visual_shape"]
    for name, value in list(fields.items()) + [(f"visual_shape[{i}]", v) for i, v in
                                               enumerate(shape if isinstance(shape, list) else [None])]:
        if not positive_int(value):
            raise InputError(f"{path}: {name} must be a whole number >= 1, got {value!r}")
    pilots = manifest["pilots"]
    if not isinstance(pilots, dict) or not {"source", "steps", "length"} <= set(pilots):
        raise InputError(f"{path}: pilots must hold source, steps and length")
    if not isinstance(pilots["source"], str) or pilots["source"] not in PILOT_SOURCES:
        raise InputError(f"{path}: pilots.source must be one of {', '.join(map(repr, PILOT_SOURCES))}, got "
                         f"{pilots['source']!r}")
    if not positive_int(pilots["steps"]) or not positive_int(pilots["length"]):
        raise InputError(f"{path}: pilots.steps and pilots.length must be whole numbers >= 1, got "
                         f"{pilots['steps']!r} and {pilots['length']!r}")
    if pilots["source"] == "file" and not (isinstance(pilots.get("file"), str)
                                           and os.path.isfile(os.path.join(folder, pilots["file"]))):
        raise InputError(f"{path}: pilots.file {pilots.get('file')!r} missing in {folder}")
    model = ModelDirectory(folder, manifest)
    model.architecture                       # a bad architecture field is reported here, naming the file
    return model


def check_data_matches(model: ModelDirectory, audio_shape: tuple, visual_shape: tuple, source: str) -> None:
    """The dataset's per-segment shapes must be those the model was trained on."""
    m = model.manifest
    if tuple(audio_shape) != (m["segments"], m["audio_dim"]):
        raise InputError(f"{source}: audio features are {tuple(audio_shape)} per video; model {model.folder} "
                         f"expects ({m['segments']}, {m['audio_dim']})")
    if tuple(visual_shape) != (m["segments"], *m["visual_shape"]):
        raise InputError(f"{source}: visual features are {tuple(visual_shape)} per video; model {model.folder} "
                         f"expects ({m['segments']}, {', '.join(map(str, m['visual_shape']))})")
