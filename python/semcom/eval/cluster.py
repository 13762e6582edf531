# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""A sweep's runs on a Dask distributed cluster (``semcom sweep --scheduler``).

:func:`executor` connects to a running scheduler and gives a ``concurrent.futures`` executor whose
futures are the cluster's: :func:`semcom.eval.sweep.run_sweep` submits one run per job to it exactly as
to its local process pool and records the results itself. A worker lost mid-run (killed, its host
gone) has its run started again on another worker by the scheduler; ``RETRIES`` more tries cover a
run that raised. Dask is imported only here, so a local sweep does not need it.

Workers must import ``gnuradio.semcom`` (the installed module and the Python packages installed beside
it): start them with Debian's python3, ``python3 -m dask worker ADDRESS --nthreads 1``, on hosts that
see the data and model folders at the same paths as the client.
"""
from __future__ import annotations

import contextlib
import logging

from ..blocks.endpoint import check_endpoint
from ..errors import InputError

log = logging.getLogger("semcom.sweep")
RETRIES = 2          # further tries of a run that raised on a worker (a lost worker's run is moved anyway)
START_SCHEDULER = "start one there with `python3 -m dask scheduler`"
START_WORKERS = "start workers with `python3 -m dask worker {address} --nthreads 1`"


@contextlib.contextmanager
def executor(address: str, timeout: float):
    """An executor for the Dask scheduler at ``address`` once it has a worker that imports gr-semcom;
    waits up to ``timeout`` seconds for the scheduler and again for its first worker. Closing the
    client at the end releases every run still pending (after an error or an interrupt)."""
    from distributed import Client
    from distributed.comm import parse_address
    from distributed.comm.registry import get_backend
    from .. import VERSION
    scheme, separator, rest = address.partition("://")
    if not separator:                            # Dask reads a bare HOST:PORT as tcp://
        scheme, rest = "tcp", address
    if scheme in ("tcp", "tls"):
        try:
            check_endpoint(f"tcp://{rest}")      # HOST:PORT, an IPv4 address or a host name
        except InputError:
            raise InputError(f"--scheduler {address}: expected tcp://HOST:PORT (or tls://HOST:PORT) with HOST an "
                             "IPv4 address or host name and PORT in 1..65535") from None
    try:
        get_backend(parse_address(address)[0])
    except ValueError as exc:
        raise InputError(f"--scheduler {address}: {exc}") from None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except OSError as exc:
        raise InputError(f"no Dask scheduler answers at {address} ({exc}); {START_SCHEDULER} and "
                         f"{START_WORKERS.format(address=address)}") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise InputError(f"the Dask scheduler at {address} has no workers after {timeout:g} s; "
                             f"{START_WORKERS.format(address=address)}") from None

        def installed_version() -> str:     # a local function goes by value: a worker without gr-semcom runs it
            import importlib
            return importlib.import_module("gnuradio.semcom").VERSION
        versions = client.run(installed_version, on_error="return")
        broken = [f"{worker}: {result}" for worker, result in versions.items() if isinstance(result, BaseException)]
        if broken:
            raise InputError(f"Dask workers at {address} cannot import gnuradio.semcom ({'; '.join(broken)}); start "
                             "them with the python3 of the installed module, `python3 -m dask worker ...`")
        for worker, version in versions.items():
            if version != VERSION:
                log.warning("Dask worker %s runs gr-semcom %s, this client %s", worker, version, VERSION)
        threads = sum(client.nthreads().values())
        log.info("Dask scheduler at %s: %d worker(s), %d thread(s)", address, len(versions), threads)
        yield client.get_executor(retries=RETRIES)
