# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""`semcom sweep --scheduler` on a real Dask cluster on this host (a scheduler and two single-thread
workers started as users start them, `python3 -m dask ...`): the results file equals the local
sweep's byte for byte, also when a worker is killed while it holds a run; an unreachable scheduler
and one without workers are one-line errors; the local sweep does not import Dask."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from gnuradio.semcom import _site

from conftest import easy_synth, free_port, semcom, stop, untrained_model

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]
ARGS = ["--channels", "awgn", "rayleigh", "--snr", "0", "10", "--csi", "estimated", "--split", "train",
        "--videos", "200"]          # 4 runs of a few seconds each


def child_env() -> dict:
    """This test's environment with the package under test and its Python packages (Dask among them)
    first on the path of every process started here, as the install gives Debian's python3."""
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(_site.__file__))))
    paths = [package_root, _site.dependencies_dir(), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def cluster_semcom(*args, timeout=400):
    """`semcom` in the environment of the cluster's processes (the same Python path)."""
    return semcom(*args, timeout=timeout, env=child_env())


def dask(role: str, *args, log):
    return subprocess.Popen([sys.executable, "-m", "dask", role, *args, "--no-dashboard"], env=child_env(),
                            stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """(sweep arguments without --out, the local sweep's results.csv)."""
    base = tmp_path_factory.mktemp("sweep_dask")
    data = easy_synth(str(base / "data"), videos=300)
    model = untrained_model(data, str(base / "av"))
    args = ["sweep", "--data", data, "--system", f"multimodal={model}", *ARGS]
    local = cluster_semcom(*args, "--out", str(base / "local"))
    assert local.returncode == 0, local.stderr[-3000:]
    return args, (base / "local" / "results.csv").read_bytes()


@pytest.fixture
def scheduler(tmp_path):
    """The address of a scheduler that answers."""
    from distributed import Client
    address = f"tcp://127.0.0.1:{free_port()}"
    with open(tmp_path / "scheduler.log", "w") as log:
        proc = dask("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], log=log)
    try:
        with Client(address, timeout=120, set_as_default=False):
            pass
        yield address
    finally:
        stop([proc])


@pytest.fixture
def cluster(scheduler, tmp_path):
    """(scheduler address, {worker name: process}) once both workers have joined."""
    from distributed import Client
    workers = {}
    try:
        for name in ("w0", "w1"):
            with open(tmp_path / f"{name}.log", "w") as log:
                workers[name] = dask("worker", scheduler, "--name", name, "--nthreads", "1", "--no-nanny",
                                     "--host", "127.0.0.1", "--local-directory", str(tmp_path / name), log=log)
        with Client(scheduler, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=120)
        yield scheduler, workers
    finally:
        stop(workers.values())


def run_lines(path) -> list:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_cluster_sweep_gives_the_local_results_file(tmp_path, inputs, cluster):
    args, local_csv = inputs
    address, _ = cluster
    done = cluster_semcom(*args, "--scheduler", address, "--out", str(tmp_path / "dask"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Dask scheduler at {address}: 2 worker(s), 2 thread(s)" in done.stderr
    assert (tmp_path / "dask" / "results.csv").read_bytes() == local_csv
    assert len(run_lines(tmp_path / "dask" / "runs.jsonl")) == 4
    assert (tmp_path / "dask" / "accuracy_awgn.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_worker_killed_mid_run_loses_nothing(tmp_path, inputs, cluster):
    from distributed import Client
    args, local_csv = inputs
    address, workers = cluster
    out = tmp_path / "dask"
    runs = out / "runs.jsonl"
    with open(tmp_path / "sweep.log", "w") as log:
        sweep = subprocess.Popen([sys.executable, "-m", "gnuradio.semcom.cli.main", *args, "--scheduler", address,
                                  "--out", str(out)], env=child_env(), stdout=log, stderr=subprocess.STDOUT)
    killed = None
    try:
        with Client(address, timeout=60, set_as_default=False) as client:
            while killed is None and sweep.poll() is None:
                if runs.exists() and runs.read_text().count("\n") >= 1:     # the first run is recorded
                    names = {a: w["name"] for a, w in client.scheduler_info()["workers"].items()}
                    busy = [names[a] for a, keys in sorted(client.processing().items()) if keys and a in names]
                    if busy:
                        killed = busy[0]
                        workers[killed].send_signal(signal.SIGKILL)   # it holds a run: the scheduler moves it
                time.sleep(0.05)
        assert sweep.wait(timeout=400) == 0, (tmp_path / "sweep.log").read_text()[-3000:]
    finally:
        stop([sweep])
    assert killed, "the sweep ended before a worker held a run to kill"
    assert workers[killed].wait(timeout=60) == -signal.SIGKILL
    assert (out / "results.csv").read_bytes() == local_csv
    keys = [(r["system"], r["channel"], r["snr_db"], r["csi"]) for r in run_lines(runs)]
    assert len(keys) == 4 and len(set(keys)) == 4                              # each run recorded once


def test_unreachable_scheduler_is_one_line(tmp_path, inputs):
    args, _ = inputs
    address = f"tcp://127.0.0.1:{free_port()}"
    done = cluster_semcom(*args, "--scheduler", address, "--scheduler-timeout", "2", "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"no Dask scheduler answers at {address}" in done.stderr and "python3 -m dask scheduler" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out" / "runs.jsonl").exists()


def test_scheduler_without_workers_is_one_line(tmp_path, inputs, scheduler):
    args, _ = inputs
    done = cluster_semcom(*args, "--scheduler", scheduler, "--scheduler-timeout", "3", "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"the Dask scheduler at {scheduler} has no workers after 3 s" in done.stderr
    assert f"python3 -m dask worker {scheduler}" in done.stderr and "Traceback" not in done.stderr


def test_local_sweep_does_not_import_dask():
    code = ("import sys; from gnuradio.semcom.cli import main; from gnuradio.semcom.eval import sweep; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=child_env(), timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr[-2000:]
