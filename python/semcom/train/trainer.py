# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline training of the semantic system through the channel twin, and export to a model directory.

Several processes (``torchrun --nproc_per_node N -m gnuradio.semcom.cli.main train ...``) train with
DistributedDataParallel: every global batch of ``batch_size`` videos is split between the ranks,
gradients are averaged, and only rank 0 writes files.

The model directory holds ``manifest.json`` and one TorchScript file per network a
terminal runs: ``audio_transmitter.pt`` (audio terminal), ``video_transmitter.pt`` (video terminal:
audio channel decoder for the SISO link, AGVA, visual channel encoder) and ``receiver.pt``.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from ..data.ave import CLASS_NAMES, load_split, require_valid
from ..nn.architecture import PUBLISHED, TRANSMITTER_FIELDS, Architecture
from ..modes import SNR_GRID_DB, TRAIN_CSI_MODES
from ..nn.channel import ChannelTwin
from ..nn.model_dir import FORMAT_VERSION
from ..nn.models import SIMILARITY_LOSSES, semantic_loss
from ..nn.pilot import neural_pilot
from ..nn.runtime import (PRECISIONS, describe_device, keep_freed_memory, native_bfloat16,
                          one_blas_thread_beside_torch_threads, pick_device)
from ..nn.system import SemanticSystem
from ..errors import InputError
from ..files import replace_file

log = logging.getLogger("semcom.train")
TRANSMITTER_PARTS = ("audio_tx.", "video_tx.", "pilot_encoder.")
PILOT_FILE = "pilot.npy"




@dataclass
class TrainConfig:
    """Defaults: the paper's setup (§IV-A: Adam at 3e-4, ×0.1 every 10 epochs, batch 64, λ = 100,
    τ₁ = 0.099) with the published PSP receiver. The paper trains 300 epochs; with ×0.1 every 10 the
    learning rate is below 3e-7 after 30, so 30 is the default here."""
    data: str
    out: str
    modality: str = "av"
    channels: list = field(default_factory=lambda: ["awgn", "rayleigh", "rician"])
    csi: str = "estimated"
    estimator: str = "min_residual"
    fading: str = "burst"            # the twin's channel: one draw per burst (the blocks') or per segment
    symbols: int = 64                # complex symbols per segment and user (L)
    epochs: int = 30
    batch_size: int = 64
    lr: float = 3e-4
    lr_step: int = 10                # epochs between ×lr_gamma
    lr_gamma: float = 0.1
    beta: float = 100.0              # λ, weight of the audio-visual similarity loss (eq. 18)
    similarity: str = "psp"          # L_avs as published ('psp') or as eq. 17 reads ('paper'), see semantic_loss
    architecture: dict = field(default_factory=PUBLISHED.to_dict)   # semcom.nn.architecture.Architecture
    pilot: str = "zadoff_chu"        # or 'neural': the pilot encoder (Fig. 4) is trained with the system
    pilot_steps: int = 10
    pilot_len: int = 16
    device: str = "auto"
    precision: str = "float32"       # or 'bfloat16': mixed precision (semcom.nn.system.PRECISIONS)
    threads: int | None = None       # PyTorch's CPU threads; None: see training_threads
    seed: int = 0
    limit: int | None = None         # use only the first N videos of each split (quick runs)
    transmitters_from: str | None = None  # run whose transmitters are kept fixed (Table I: csi none_retrained)


def check_precision(precision: str, device: torch.device) -> None:
    """InputError for a precision that is not one of PRECISIONS or that ``device`` cannot run; a warning
    where the CPU has no bfloat16 arithmetic (PyTorch emulates it there, more slowly than float32)."""
    if precision not in PRECISIONS:
        raise InputError(f"precision must be one of {', '.join(map(repr, PRECISIONS))}, got {precision!r}")
    if precision == "bfloat16" and not native_bfloat16(device):
        if device.type == "cuda":
            raise InputError(f"precision 'bfloat16': {torch.cuda.get_device_name(device)} has no bfloat16 "
                             "arithmetic; train in float32")
        log.warning("precision bfloat16: this CPU has neither AMX nor AVX-512 BF16, PyTorch emulates bfloat16 "
                    "and trains more slowly than in float32")


def training_threads(threads: int | None, precision: str, device: torch.device, processes: int = 1) -> int:
    """PyTorch's CPU threads for training: ``threads`` where given (>= 1); else on the CPU, every CPU this
    process may use (shared among ``processes``) for bfloat16, and one for float32 where PyTorch calls the
    system's BLAS (Debian's PyTorch); else PyTorch's default.

    Why: in float32 the large products run in the system's BLAS, whose own threads use every core while
    PyTorch keeps one (more PyTorch threads hold the BLAS to one, see
    :func:`one_blas_thread_beside_torch_threads`: a multimodal epoch took 23.1 s at one thread and 27.9 s
    at two on Debian 13's PyTorch 2.6); in bfloat16 PyTorch's oneDNN does them on PyTorch's own threads
    (a step 1.8× faster on 2 threads than on 1)."""
    if threads is not None:
        if threads < 1:
            raise InputError(f"threads must be >= 1, got {threads}")
        return threads
    if device.type == "cpu" and precision == "bfloat16":
        return max(1, len(os.sched_getaffinity(0)) // processes)
    if device.type == "cpu" and "BLAS_INFO=generic" in torch.__config__.show():
        return 1
    return torch.get_num_threads()


def start_distributed(device: str) -> tuple[int, int, int]:
    """(rank, world size, local rank); joins the process group when started by ``torchrun``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1, 0
    import torch.distributed as dist
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        use_nccl = device != "cpu" and torch.cuda.is_available()
        if use_nccl:
            torch.cuda.set_device(local_rank)
        dist.init_process_group("nccl" if use_nccl else "gloo")
    return dist.get_rank(), world, local_rank


class Trainer:
    def __init__(self, config: TrainConfig):
        self.config = c = config
        if c.csi == "none_no_retraining":
            raise InputError("csi 'none_no_retraining' is a diagnostic that runs the system trained with estimated "
                             "CSI without its estimation block and without retraining (semcom evaluate / sweep "
                             "--csi none_no_retraining); Table I as the paper ran it retrains the receiver: csi "
                             "'none_retrained' with --transmitters-from")
        if c.csi not in TRAIN_CSI_MODES:
            raise InputError(f"csi must be one of {', '.join(map(repr, TRAIN_CSI_MODES))}, got {c.csi!r}")
        if c.similarity not in SIMILARITY_LOSSES:
            raise InputError(f"similarity must be one of {', '.join(map(repr, SIMILARITY_LOSSES))}, "
                             f"got {c.similarity!r}")
        self.architecture = Architecture.from_dict(c.architecture, "architecture")
        torch.manual_seed(c.seed)
        self.rank, self.world, local_rank = start_distributed(c.device)
        self.device = pick_device(c.device, local_rank, "device")
        check_precision(c.precision, self.device)
        torch.set_num_threads(training_threads(c.threads, c.precision, self.device, self.world))
        one_blas_thread_beside_torch_threads()
        keep_freed_memory()
        require_valid(c.data)
        self.splits = {name: load_split(c.data, name, c.limit, check=False) for name in ("train", "val", "test")}
        if c.batch_size % self.world:
            raise InputError(f"--batch-size {c.batch_size} must be a multiple of the {self.world} processes")
        self.model = SemanticSystem(c.symbols, c.modality, c.pilot, c.pilot_steps, c.pilot_len,
                                    self.architecture).to(self.device)
        self.model.precision = c.precision
        if c.transmitters_from:
            self.freeze_transmitters(c.transmitters_from)
        self.train_model = self.model
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel
            self.train_model = DistributedDataParallel(self.model)
        self.optimiser = torch.optim.Adam([p for p in self.model.parameters() if p.requires_grad], lr=c.lr)
        self.scheduler = torch.optim.lr_scheduler.StepLR(self.optimiser, c.lr_step, c.lr_gamma)
        self.users = 2 if c.modality == "av" else 1
        self.epoch, self.best = 0, -1.0

    def freeze_transmitters(self, folder: str) -> None:
        """Load the transmitters of another run (same modality and symbols) and train only the receiver."""
        path = os.path.join(folder, "best_model.pt")
        if not os.path.isfile(path):
            raise InputError(f"{path}: missing (--transmitters-from needs a finished training run's folder)")
        source, theirs = run_architecture(folder)
        differ = theirs.differences(self.architecture, TRANSMITTER_FIELDS)
        if differ:
            raise InputError(f"{source}: the transmitters were trained with architecture.{differ[0]} = "
                             f"{getattr(theirs, differ[0])!r}, this run has {getattr(self.architecture, differ[0])!r} "
                             f"(train with the same option)")
        state = torch.load(path, map_location=self.device)
        transmitters = {k: v for k, v in state.items() if k.startswith(TRANSMITTER_PARTS)}
        missing = [k for k in self.model.state_dict() if k.startswith(TRANSMITTER_PARTS)
                   and (k not in transmitters or transmitters[k].shape != self.model.state_dict()[k].shape)]
        if missing:
            raise InputError(f"{path}: transmitters do not match modality {self.config.modality!r} with "
                             f"{self.config.symbols} symbols (first mismatch: {missing[0]})")
        self.model.load_state_dict(transmitters, strict=False)
        for name, parameter in self.model.named_parameters():
            parameter.requires_grad = not name.startswith(TRANSMITTER_PARTS)

    def twins(self, channel: str, csi: str | None = None) -> tuple:
        c = self.config
        return self.model.twins(channel, csi or c.csi, c.estimator, c.pilot_steps, c.pilot_len, c.fading)

    def where(self) -> str:
        """Where and how it trains, for the log: 'cpu (2 PyTorch threads), bfloat16'."""
        return (f"{describe_device(self.device)}, {self.config.precision}"
                + (f", {self.world} processes" if self.world > 1 else ""))

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def local_batches(self, generator: np.random.Generator):
        """Training batches of this rank: its share of each global batch, with the SNR and channel drawn
        for the global batch (so every rank consumes ``generator`` identically)."""
        data, c = self.splits["train"], self.config
        order = generator.permutation(len(data.labels))
        for start in range(0, len(order), c.batch_size):
            rows = np.sort(order[start:start + c.batch_size])
            channel = c.channels[generator.integers(len(c.channels))]
            snr = generator.choice(SNR_GRID_DB, len(rows)).astype(np.float32)
            mine = np.arange(len(rows)) % self.world == self.rank
            if not mine.any():
                continue
            rows = rows[mine]
            yield (torch.from_numpy(data.audio[rows]).to(self.device),
                   torch.from_numpy(data.visual[rows]).to(self.device).float(),
                   torch.from_numpy(data.labels[rows]).to(self.device), channel, torch.from_numpy(snr[mine]))

    def train_epoch(self) -> tuple[float, float]:
        from tqdm import tqdm
        c = self.config
        rng = np.random.default_rng((c.seed, self.epoch))
        generator = torch.Generator(self.device).manual_seed((c.seed * 1000 + self.epoch) * self.world + self.rank)
        self.model.train()
        total_loss = correct = count = 0.0
        batches = -(-len(self.splits["train"].labels) // c.batch_size)
        bar = tqdm(self.local_batches(rng), total=batches, desc=f"epoch {self.epoch + 1}/{c.epochs}",
                   unit="batch", disable=None if self.is_main else True)   # a bar on a terminal only
        for audio, visual, labels, channel, snr in bar:
            siso, uplink = self.twins(channel)
            logits, sd_a, sd_v = self.train_model(audio, visual, siso, uplink, snr, generator)
            loss = semantic_loss(logits, labels, sd_a, sd_v, c.beta, c.similarity)
            self.optimiser.zero_grad()
            loss.backward()
            self.optimiser.step()
            total_loss += float(loss.detach()) * labels.numel()
            correct += float((logits.argmax(-1) == labels).sum())
            count += labels.numel()
            bar.set_postfix(loss=f"{total_loss / count:.3f}", acc=f"{correct / count:.3f}")
        self.scheduler.step()
        self.epoch += 1
        if self.world > 1:
            import torch.distributed as dist
            sums = torch.tensor([total_loss, correct, count], dtype=torch.float64, device=self.device)
            dist.all_reduce(sums)
            total_loss, correct, count = sums.tolist()
        return total_loss / count, correct / count

    def accuracies(self, split: str, points: list, csi: str | None = None, seed: int = 1) -> list:
        """Segment accuracy on ``split`` for each (channel, SNR dB) of ``points``; an SNR of None draws
        each video's from the training grid (seeded)."""
        conditions = [(*self.twins(channel, csi), snr_db, seed) for channel, snr_db in points]
        return twin_accuracies(self.model, self.splits[split], conditions, self.config.batch_size, self.device)

    def validate(self) -> float:
        return float(np.mean(self.accuracies("val", [(ch, None) for ch in self.config.channels])))

    def checkpoint_path(self) -> str:
        return os.path.join(self.config.out, "checkpoint.pt")

    def save_checkpoint(self) -> None:
        state = {"model": self.model.state_dict(), "optimiser": self.optimiser.state_dict(),
                 "scheduler": self.scheduler.state_dict(), "epoch": self.epoch, "best": self.best,
                 "config": asdict(self.config), "rng": self.rng_state()}
        replace_file(self.checkpoint_path(), lambda f: torch.save(state, f))

    def rng_state(self) -> dict:
        """PyTorch's global random state (dropout draws from it): a resumed run continues it, so it trains
        exactly as one that was never stopped (in one process; with several, every rank resumes rank 0's)."""
        state = {"cpu": torch.get_rng_state()}
        if self.device.type == "cuda":
            state["cuda"] = torch.cuda.get_rng_state(self.device)
        return state

    def set_rng_state(self, state: dict | None, path: str) -> None:
        if state is None:              # a checkpoint written before the field: resumes, not bit for bit
            log.warning("%s has no random state (an older checkpoint): dropout draws restart from --seed", path)
            return
        torch.set_rng_state(state["cpu"].cpu())
        if "cuda" in state and self.device.type == "cuda":
            torch.cuda.set_rng_state(state["cuda"].cpu(), self.device)

    def resume(self) -> bool:
        path = self.checkpoint_path()
        if not os.path.isfile(path):
            return False
        state = torch.load(path, map_location=self.device)
        if state["config"]["modality"] != self.config.modality or state["config"]["symbols"] != self.config.symbols:
            raise InputError(f"{path}: checkpoint is for modality {state['config']['modality']!r} with "
                             f"{state['config']['symbols']} symbols, not {self.config.modality!r} with "
                             f"{self.config.symbols}; use another --out")
        theirs = Architecture.from_dict(state["config"].get("architecture"), path)
        differ = theirs.differences(self.architecture)
        if differ:
            raise InputError(f"{path}: checkpoint has architecture.{differ[0]} = {getattr(theirs, differ[0])!r}, "
                             f"this run {getattr(self.architecture, differ[0])!r}; resume with the same options "
                             f"or use another --out")
        self.model.load_state_dict(state["model"])
        self.optimiser.load_state_dict(state["optimiser"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.epoch, self.best = state["epoch"], state["best"]
        self.set_rng_state(state.get("rng"), path)
        log.info("resumed from %s after epoch %d (best validation accuracy %.4f)", path, self.epoch, self.best)
        return True

    def fit(self) -> dict:
        """Train to ``epochs``; every rank validates (same weights, same seeds, same decision), rank 0 saves."""
        os.makedirs(self.config.out, exist_ok=True)
        best_path = os.path.join(self.config.out, "best_model.pt")
        epoch_times = []
        while self.epoch < self.config.epochs:
            start = time.perf_counter()
            rate = self.optimiser.param_groups[0]["lr"]            # this epoch's (the scheduler steps at its end)
            loss, train_acc = self.train_epoch()
            epoch_times.append(time.perf_counter() - start)
            val_acc = self.validate()
            if self.is_main:
                log.info("epoch %d: loss %.4f, train accuracy %.4f, validation accuracy %.4f, learning rate %.3g "
                         "(%.1f s)", self.epoch, loss, train_acc, val_acc, rate, epoch_times[-1])
            if val_acc > self.best:
                self.best = val_acc
                if self.is_main:
                    replace_file(best_path, lambda f: torch.save(self.model.state_dict(), f))
            if self.is_main:
                self.save_checkpoint()
        if self.world > 1:
            import torch.distributed as dist
            dist.barrier()
        if os.path.isfile(best_path):
            self.model.load_state_dict(torch.load(best_path, map_location=self.device))
        return {"best_val_accuracy": self.best,   # the time of this run's epochs only (after --resume: the rest)
                "seconds_per_epoch": float(np.mean(epoch_times)) if epoch_times else None,
                "epochs_timed": len(epoch_times)}

    def test_table(self, snrs=SNR_GRID_DB) -> dict:
        """Test accuracy per channel and SNR with the trained CSI mode."""
        points = [(ch, float(s)) for ch in self.config.channels for s in snrs]
        found = iter(self.accuracies("test", points))
        return {ch: {int(s): next(found) for s in snrs} for ch in self.config.channels}

    def export(self, metrics: dict) -> str:
        """Write manifest.json and the TorchScript files of every terminal network."""
        c, model = self.config, self.model.eval().cpu()
        files = {}
        for name, module in (("audio_transmitter", model.audio_tx), ("video_transmitter", model.video_tx),
                             ("receiver", model.receiver)):
            if module is not None:
                files[name] = f"{name}.pt"
                torch.jit.script(module).save(os.path.join(c.out, files[name]))
        pilots = {"source": "zadoff_chu", "steps": c.pilot_steps, "length": c.pilot_len}
        if model.pilot_encoder is not None:
            np.save(os.path.join(c.out, PILOT_FILE), neural_pilot(model.pilot_encoder, model.pilot_audio))
            pilots = {"source": "file", "file": PILOT_FILE, "steps": c.pilot_steps, "length": c.pilot_len}
        manifest = {
            "format_version": FORMAT_VERSION, "modality": c.modality, "audio_dim": 128, "visual_shape": [7, 7, 512],
            "segments": 10, "symbols_per_segment": c.symbols,
            "pilots": pilots,
            "class_names": list(CLASS_NAMES) + ["background"], "channels": c.channels, "csi": c.csi,
            "estimator": c.estimator, "fading": c.fading, "snr_db": list(SNR_GRID_DB),
            "architecture": self.architecture.to_dict(),
            "loss": {"lambda": c.beta, "similarity": c.similarity}, "files": files, "metrics": metrics,
            "git_commit": git_commit(), "pytorch_version": torch.__version__, "train_config": asdict(c),
        }
        with open(os.path.join(c.out, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1)
        model.to(self.device)
        return os.path.join(c.out, "manifest.json")


def run_architecture(folder: str) -> tuple:
    """(file it was read from, :class:`Architecture`) of a training run's folder: its manifest.json, or
    while it has none, its checkpoint.pt; a file without the field predates the options (LEGACY)."""
    manifest = os.path.join(folder, "manifest.json")
    if os.path.isfile(manifest):
        with open(manifest, encoding="utf-8") as f:
            return manifest, Architecture.from_dict(json.load(f).get("architecture"), manifest)
    checkpoint = os.path.join(folder, "checkpoint.pt")
    if os.path.isfile(checkpoint):
        config = torch.load(checkpoint, map_location="cpu")["config"]
        return checkpoint, Architecture.from_dict(config.get("architecture"), checkpoint)
    raise InputError(f"{manifest}: missing, and no checkpoint.pt either: cannot tell the architecture of the "
                     f"transmitters in {folder}")


def twin_accuracy(system: SemanticSystem, split, siso: ChannelTwin, uplink: ChannelTwin, snr_db: float | None,
                  batch_size: int = 64, device: torch.device | str = "cpu", seed: int = 1) -> float:
    """Segment accuracy of ``system`` on a loaded split through the channel twins (seeded);
    ``snr_db`` None draws each video's SNR from the training grid."""
    return twin_accuracies(system, split, [(siso, uplink, snr_db, seed)], batch_size, device)[0]


@torch.no_grad()
def twin_accuracies(system: SemanticSystem, split, conditions: list, batch_size: int = 64,
                    device: torch.device | str = "cpu", progress: str | None = None) -> list:
    """:func:`twin_accuracy` for each of ``conditions`` ((siso, uplink, snr_db, seed) tuples), each with
    its own seeded draws (the same figures as one call each); the videos are read and the visual
    encoding computed once per batch for all conditions. ``progress``: a progress bar so labelled."""
    from tqdm import tqdm
    system.eval()
    draws = [(np.random.default_rng(seed), torch.Generator(device).manual_seed(seed))
             for _, _, _, seed in conditions]
    correct, count = [0] * len(conditions), 0
    for start in tqdm(range(0, len(split.labels), batch_size), desc=progress, unit="batch",
                      disable=True if progress is None else None):
        rows = slice(start, start + batch_size)
        labels = torch.from_numpy(split.labels[rows]).to(device)
        audio = torch.from_numpy(split.audio[rows]).to(device)
        visual = torch.from_numpy(split.visual[rows]).to(device).float()
        encoding = system.encode_visual(visual)
        n = len(labels)
        for i, ((siso, uplink, snr_db, _), (rng, generator)) in enumerate(zip(conditions, draws)):
            snrs = rng.choice(SNR_GRID_DB, n) if snr_db is None else np.full(n, snr_db)
            logits, _, _ = system(audio, visual, siso, uplink, torch.from_numpy(snrs.astype(np.float32)),
                                  generator, encoding)
            correct[i] += int((logits.argmax(-1) == labels).sum())
        count += labels.numel()
    return [c / count for c in correct]


def git_commit() -> str | None:
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        done = subprocess.run(["git", "-C", here, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        return done.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None
