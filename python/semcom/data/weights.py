# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pretrained weights from local files only: the project never downloads at run time."""
from __future__ import annotations

import os
from ..errors import InputError

# What the user downloads once (sizes follow from the parameter counts: 4 bytes per float32).
VGGISH_FILE = "vggish-10086976.pth"
VGGISH_URL = "https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish-10086976.pth"
VGGISH_SIZE = "about 275 MiB (72.1 M float32 parameters)"
VGG19_FILE = "vgg19-dcbb9e9d.pth"
VGG19_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
VGG19_SIZE = "about 548 MiB (143.7 M float32 parameters; only the 20.0 M of `features` are used)"


def load_state_dict_file(path: str, what: str, published: str) -> dict:
    """The tensors of the PyTorch state-dict file ``path``; ValueError naming the file (and, when it
    is missing, where ``what`` weights are published) instead of a traceback."""
    import torch
    if not path or not os.path.isfile(path):
        raise InputError(f"{what} weights file {path!r} not found; the project never downloads weights: "
                         f"download {published} and pass its path")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:   # torch raises RuntimeError, UnpicklingError, EOFError, ... for bad files
        raise InputError(f"{what} weights file {path!r} is not a readable PyTorch state dict ({exc})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError(f"{what} weights file {path!r} holds a {type(state).__name__}, not a state dict of tensors")
    return state


def load_into(module, state: dict, path: str, what: str) -> None:
    """Load ``state`` into ``module`` strictly; missing, unexpected or misshapen keys → ValueError."""
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [f"{k}: file {tuple(state[k].shape)}, network {tuple(own[k].shape)}"
              for k in own if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or shapes:
        details = []
        if missing:
            details.append(f"missing keys {missing[:4]}{' ...' if len(missing) > 4 else ''}")
        if unexpected:
            details.append(f"unexpected keys {unexpected[:4]}{' ...' if len(unexpected) > 4 else ''}")
        if shapes:
            details.append("wrong shapes " + "; ".join(shapes[:4]))
        raise InputError(f"{what} weights file {path!r} does not fit the network: " + ", ".join(details))
    module.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()})
