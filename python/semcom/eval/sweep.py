# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The paper's experiments as a resumable grid of GNU Radio system runs (Fig. 6, Table I).

A job is one (system, channel, SNR, CSI mode) run of :func:`semcom.flowgraphs.system.run_system`
over the same videos. Finished jobs are appended to a JSON-lines file as they complete, so an
interrupted sweep resumes where it stopped; every job's seeds depend only on the job, never on the
order or the process that ran it, so a resumed sweep gives the same results as an uninterrupted one,
and runs on a Dask cluster (:mod:`semcom.eval.cluster`) the same as local ones.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
import multiprocessing
from dataclasses import dataclass

from ..files import append_text
from ..memo import keep_loads
from ..modes import CSI_MODES, NO_ESTIMATION, check_snr_db
from ..nn.model_dir import open_model_dir
from ..nn.runtime import bound_malloc_arenas
from ..phy.channels import CHANNELS
from ..phy.checks import require_choice
from ..flowgraphs.payloads import DigitalBaseline
from ..flowgraphs.system import BlockOptions, SystemConfig, run_system
from ..errors import InputError

log = logging.getLogger("semcom.sweep")
SYSTEM_NAMES = ("multimodal", "audio_only", "video_only", "digital")
KEY_FIELDS = ("system", "channel", "snr_db", "csi")


@dataclass(frozen=True)
class Job:
    system: str
    model: str
    channel: str
    snr_db: float
    csi: str

    @property
    def key(self) -> tuple:
        return (self.system, self.channel, float(self.snr_db), self.csi)


def plan(systems: dict, channels, snrs, csi_modes) -> list:
    """Jobs for ``systems`` {name: model directory}. Without channel estimation (Table I): a model whose
    receiver was retrained for the raw antenna signals (trained for csi 'none_retrained', the paper's
    protocol) runs only 'none_retrained'; the other models run every other requested mode, among them
    the diagnostic 'none_no_retraining' (the model trained with estimation, run without it).
    A system whose name starts with ``digital`` is the separate source/channel coding baseline
    (PCM + LDPC + 16-QAM) around that model, which should be trained with csi 'error_free'; it has
    no run without channel estimation."""
    for ch in channels:
        require_choice("channel", ch, CHANNELS)
    for csi in csi_modes:
        require_choice("csi", csi, CSI_MODES)
    for snr in snrs:
        check_snr_db(snr, "SNR")
    jobs = []
    for name, folder in systems.items():
        retrained = open_model_dir(folder).trained_csi == "none_retrained"
        digital = name.startswith("digital")
        if retrained and digital:
            raise InputError(f"system {name!r}: the digital baseline needs a model trained with csi 'error_free', "
                             f"{folder} is a receiver retrained for csi 'none_retrained'")
        if retrained and "none_retrained" not in csi_modes:
            raise InputError(f"system {name!r}: {folder} is a receiver retrained for csi 'none_retrained', which is "
                             f"not among the requested modes {', '.join(csi_modes)}")
        if retrained:
            modes = ["none_retrained"]
        else:
            modes = [m for m in csi_modes if m != "none_retrained" and not (digital and m in NO_ESTIMATION)]
        for ch in channels:
            for snr in snrs:
                for csi in modes:
                    if csi == "error_free" and snr != snrs[0]:
                        continue                  # no channel: one run per channel is enough
                    jobs.append(Job(name, folder, ch, float(snr), csi))
    return jobs


def read_done(path: str) -> dict:
    """{job key: row} of a results file (JSON lines); a torn last line from a kill is ignored."""
    done = {}
    if not os.path.isfile(path):
        return done
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if row.get("csi") == "none":          # the diagnostic's older name
                row["csi"] = "none_no_retraining"
            done[tuple(row[k] if k != "snr_db" else float(row[k]) for k in KEY_FIELDS)] = row
    return done


def _run(job: Job, common: dict, keep: bool = True) -> dict:
    """One job's row. ``keep``: this process keeps the split, the networks and the PCM range for its
    next runs (:mod:`semcom.memo`; the results are those of fresh loads)."""
    if keep:
        keep_loads()
        bound_malloc_arenas()
    result = run_system(system_config(job, common))
    return {"system": job.system, "channel": job.channel, "snr_db": job.snr_db, "csi": job.csi,
            "accuracy": result.accuracy, "correct": result.correct, "segments": result.segments,
            "videos": result.videos, "lost_videos": len(result.lost), "error_videos": result.errors,
            "pilot_misfits": result.pilot_misfits, "seconds": result.seconds}


def system_config(job: Job, common: dict) -> SystemConfig:
    """The system run of ``job`` with the sweep's ``common`` settings (SystemConfig fields, and
    ``torch_threads``, ``device`` and ``ldpc_backend`` for the blocks and the digital baseline)."""
    settings = dict(common)
    options = BlockOptions(torch_threads=settings.pop("torch_threads", 0), device=settings.pop("device", "auto"))
    backend = settings.pop("ldpc_backend", "numpy")
    digital = DigitalBaseline(ldpc_backend=backend) if job.system.startswith("digital") else None
    return SystemConfig(model=job.model, channel=job.channel, snr_db=job.snr_db, csi=job.csi, blocks=options,
                        digital=digital, **settings)


def _executor(workers: int, scheduler: str | None, timeout: float):
    """Where the runs go: the Dask cluster whose scheduler is at ``scheduler``, ``workers`` local
    processes, or (None) this process, one run after the other."""
    if scheduler:
        from .cluster import executor
        return executor(scheduler, timeout)
    if workers > 1:
        return _local_pool(workers)
    return contextlib.nullcontext()


@contextlib.contextmanager
def _local_pool(workers: int):
    """``workers`` spawned processes whose NumPy uses one BLAS thread (unless OPENBLAS_NUM_THREADS is
    set): each worker's flowgraph has its own threads, and idle BLAS threads of several workers spin
    on the same cores. The variable is set here while the pool starts its processes."""
    saved = os.environ.get("OPENBLAS_NUM_THREADS")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_quiet_worker) as pool:
            yield pool
    finally:
        if saved is None:
            os.environ.pop("OPENBLAS_NUM_THREADS", None)


def _quiet_worker() -> None:
    """A worker's GNU Radio logs warnings only, as the sweep's own process does (the blocks' info lines,
    such as where each network runs, would be repeated in every run)."""
    from gnuradio import gr
    gr.logging().set_default_level(gr.log_levels.warn)


def run_sweep(jobs: list, results_path: str, common: dict, workers: int = 1, progress: bool = True,
              scheduler: str | None = None, timeout: float = 60.0) -> list:
    """Run the jobs not yet in ``results_path`` (appending each as it finishes); returns all rows.

    The runs go to ``workers`` local processes, or with ``scheduler`` (an address such as
    tcp://10.0.0.1:8786) to that Dask cluster, waiting up to ``timeout`` seconds for it and its first
    worker. Either way one future per job, recorded here as it completes, so the file is the same."""
    from tqdm import tqdm
    done = read_done(results_path)
    todo = [j for j in jobs if j.key not in done]
    futures = []
    with _executor(workers, scheduler, timeout) if todo else contextlib.nullcontext() as pool:
        bar = tqdm(total=len(jobs), initial=len(jobs) - len(todo), desc="sweep", unit="run",
                   disable=None if progress else True)   # a bar on a terminal, a log line per run elsewhere

        def record(row):
            try:
                append_text(results_path, json.dumps(row) + "\n")
            except OSError:             # a full disk: the runs not started are not run; the file resumes
                for future in futures:
                    future.cancel()
                raise
            done[tuple(row[k] for k in KEY_FIELDS)] = row
            last = f"{row['system']} {row['channel']} {row['snr_db']:g} dB {row['csi']}: {row['accuracy']:.3f}"
            bar.set_postfix(last=last)
            bar.update()
            if bar.disable and progress:
                log.info("run %d/%d: %s", len(done), len(jobs), last)
        if pool is None:
            rows = (_run(job, common) for job in todo)
        else:     # as_completed lets go of each future it yields, so the cluster drops a recorded result
            futures = [pool.submit(_run, job, common) for job in todo]
            rows = (future.result() for future in as_completed(futures))
        for row in rows:
            record(row)
        bar.close()
    return [done[j.key] for j in jobs]
