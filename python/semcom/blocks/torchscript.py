# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the TorchScript blocks share: loading a network from the model directory, torch threads,
running them without TorchScript's graph optimisation, warm-up, and turning stream items into video batches."""
from __future__ import annotations

import contextlib

import numpy as np
from ..errors import InputError

def open_network(model: str, network: str, symbols: int, torch_threads: int, modalities=("av", "a", "v"),
                 device: str = "auto"):
    """(checked model directory, TorchScript ``network`` on the torch.device of ``device``, that
    device) for a terminal block (``model`` '' = the demo's, :mod:`semcom.user_data`): the manifest,
    the flowgraph's ``symbols`` (0 = the model's), the model's modality and the device
    (:func:`semcom.nn.runtime.pick_device`) are checked first. A process that keeps its loads
    (:func:`semcom.memo.keep_loads`) gets the same module again while its file is unchanged."""
    import os
    from ..memo import kept
    from ..nn.model_dir import open_model_dir
    from ..nn.runtime import pick_device
    from ..user_data import model_folder
    directory = open_model_dir(model_folder(model))
    directory.require_symbols(symbols)
    directory.require_modality(*modalities)
    where = pick_device(device)
    set_torch_threads(torch_threads)
    if network not in directory.manifest["files"]:
        return directory, directory.load(network), where       # InputError naming the model's networks
    path = directory.path(network)
    loaded = kept(("network", os.path.realpath(path), str(where)), [path], lambda: directory.load(network, where))
    return directory, loaded, where


@contextlib.contextmanager
def inference():
    """Where a block runs its network: inference mode, TorchScript's graph optimisation off (for this
    thread only). The profiling executor optimises a network anew for every batch size it has not seen,
    and a block's batches are as many videos as have arrived: on Debian 13's PyTorch 2.6 on a 2-core CPU
    that took up to 1.1 s for the receiver at its second batch of two videos, long enough in streaming
    for a video to miss its uplink slot. The networks' time is in their matrix products, which run as fast
    unoptimised (the video transmitter: 4-5 ms per video either way there, batches of 1 to 8 videos)."""
    import torch
    with torch.inference_mode(), torch.jit.optimized_execution(False):
        yield


def warm_up(network, device, *shapes) -> None:
    """Run ``network`` twice on zero inputs of ``shapes`` (one video each) on ``device``, as the block
    will (:func:`inference`), so that the first real video does not wait for PyTorch's first-call setup."""
    import torch
    with inference():
        for _ in range(2):
            network(*(torch.zeros(shape, device=device) for shape in shapes))


def log_device(block, network: str, device) -> None:
    """Say in the block's log (GNU Radio's, level info) where its ``network`` (a file or net's name) runs."""
    from ..nn.runtime import describe_device
    block.logger.info(f"{network} runs on {describe_device(device)}")


def network_devices(top_block) -> str:
    """Where the neural blocks of a top block (its attributes ``audio_tx``, ``video_tx``, ``receiver``)
    run, for a program's own log: 'audio_tx on cpu (1 PyTorch thread)', or '' where it has none."""
    from ..nn.runtime import describe_device
    found = [(name, getattr(top_block, name, None)) for name in ("audio_tx", "video_tx", "receiver")]
    return ", ".join(f"{name} on {describe_device(block.device)}" for name, block in found
                     if hasattr(block, "device") and hasattr(block, "network"))


def tag_nonfinite(block, finite: np.ndarray, segments: int, what: str, input_items=None) -> None:
    """Log and tag ``semcom_error`` on the first segment of every video whose input was not finite
    (output video v; ``input_items[v]``: where it started on input 0, else read in this call)."""
    from . import tags
    for v in np.flatnonzero(~finite):
        item = input_items[v] if input_items is not None else block.nitems_read(0) + v * segments
        message = f"{block.name()}: video at input item {item} holds NaN/Inf; {what}"
        block.logger.error(message)
        tags.add_tag(block, 0, int(v) * segments, tags.ERROR, message)


def set_torch_threads(threads: int) -> None:
    """``threads`` > 0 sets torch's intra-op threads (process-wide); 0 keeps torch's default. Either
    way the system's BLAS stays out of the way of torch's threads
    (:func:`semcom.nn.runtime.one_blas_thread_beside_torch_threads`)."""
    from ..nn.runtime import one_blas_thread_beside_torch_threads
    if threads < 0:
        raise InputError(f"torch_threads must be >= 0 (0 keeps torch's default), got {threads}")
    if threads:
        import torch
        torch.set_num_threads(int(threads))
    one_blas_thread_beside_torch_threads()


def as_videos(items: np.ndarray, segments: int, shape: tuple, device="cpu"):
    """(n·segments, vlen) stream items → float32 torch tensor (n, segments, *shape) on ``device``,
    NaN/Inf → 0, and the (n,) mask of videos that held only finite values."""
    import torch
    videos = items.reshape((-1, segments) + tuple(shape))
    finite = np.isfinite(videos).reshape(videos.shape[0], -1).all(axis=1)
    if not finite.all():
        videos = np.where(finite.reshape((-1,) + (1,) * (videos.ndim - 1)), videos, 0)
    return torch.from_numpy(np.ascontiguousarray(videos, dtype=np.float32)).to(device), finite
