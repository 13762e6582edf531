# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The PyTorch this process runs and the BLAS under it.

Debian's PyTorch calls whatever ``libblas.so.3`` the system selects. GNU Radio's packages leave Debian's
reference BLAS in place, on which the video transmitter is about 25 times slower than on OpenBLAS; the
fix is one package (``libopenblas0-pthread``). PyPI's PyTorch carries MKL inside itself.

Used by ``semcom --version`` and run as a script by CMake at configure time (``python3 runtime.py``
prints one line, and a second starting with ``warning:`` where the BLAS is the reference one), so it
imports nothing but the standard library and torch.
"""
import functools
import os

REFERENCE_BLAS_HINT = ("PyTorch runs on Debian's reference BLAS, about 25 times slower for the neural "
                       "networks: install an optimised one, e.g. `sudo apt-get install libopenblas0-pthread`")


def blas() -> tuple:
    """(description, optimised) of the BLAS that PyTorch uses in this process."""
    import torch
    config = torch.__config__.show()
    if "BLAS_INFO=mkl" in config:
        return "MKL (inside PyTorch)", True
    if "BLAS_INFO=open" in config:
        return "OpenBLAS (inside PyTorch)", True
    torch.ones(2, 2) @ torch.ones(2, 2)              # BLAS libraries may be loaded lazily
    libraries = loaded_blas_libraries()
    if not libraries:
        return "none found among the loaded libraries", False
    path = libraries[0]
    for name, label in (("openblas", "OpenBLAS"), ("blis", "BLIS"), ("atlas", "ATLAS"), ("mkl", "MKL")):
        if name in path.lower():
            return f"{label} ({path})", True
    if os.path.basename(os.path.dirname(path)) == "blas":     # /usr/lib/<triplet>/blas/libblas.so.3
        return f"reference BLAS ({path})", False
    return path, True


def loaded_blas_libraries() -> list:
    """Paths of the BLAS libraries mapped into this process (Linux; [] elsewhere), libblas.so first."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if ".so" in line}
    except OSError:
        return []
    names = ("libblas.so", "libopenblas", "libblis", "libmkl_rt", "libsatlas", "libtatlas")
    found = [p for p in paths if os.path.basename(p).startswith(names)]
    return sorted(found, key=lambda p: (not os.path.basename(p).startswith("libblas.so"), p))


def one_blas_thread_beside_torch_threads() -> None:
    """Hold the system's BLAS at one thread where PyTorch calls it and runs several threads of its own.

    PyTorch parallelises an operation over its own OpenMP threads, which wait for work by spinning;
    Debian's PyTorch calls the system's OpenBLAS, whose own threads then compete with them for the
    same cores. On 2 cores a training epoch took 4.5 s instead of 1.0 s that way (Debian 13, PyTorch
    2.6). PyPI's PyTorch, whose MKL runs on PyTorch's threads, is left alone; so is a PyTorch at one
    thread (Debian 12's default), whose BLAS may then use the cores. Process-wide and lasting.
    """
    global _blas_held
    import torch
    if not _blas_held and torch.get_num_threads() > 1 and "BLAS_INFO=generic" in torch.__config__.show():
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=1, user_api="blas")
        _blas_held = True


_blas_held = False          # once held, the BLAS stays at one thread: each neural block need not look again


DEVICES = ("auto", "cpu", "cuda")
# 'float32', or 'bfloat16': mixed precision, each network's matrix products and convolutions in bfloat16
# (torch.autocast; the audio LSTM stays float32 on a CPU without bfloat16 arithmetic), its outputs, the
# weights, the channel twin and the loss in float32
PRECISIONS = ("float32", "bfloat16")


def pick_device(name: str, index: int = 0, what: str = "device"):
    """The torch.device of ``name`` (one of DEVICES; 'auto': the GPU where PyTorch sees one (CUDA),
    else the CPU; 'cuda': GPU ``index``). InputError, naming ``what``, for anything else and for 'cuda'
    where PyTorch sees no GPU."""
    import torch
    from ..errors import InputError
    if name not in DEVICES:
        raise InputError(f"{what} must be one of {', '.join(map(repr, DEVICES))}, got {name!r}")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        built = "has no CUDA support" if torch.version.cuda is None else "sees no CUDA device"
        raise InputError(f"{what} 'cuda' asked for, but this PyTorch {torch.__version__} {built}; use 'cpu' "
                         "or 'auto'")
    return torch.device("cuda", index) if name == "cuda" else torch.device("cpu")


def describe_device(device) -> str:
    """For logs: 'cuda:0 (NVIDIA H100 80GB HBM3)' or 'cpu (2 PyTorch threads)'."""
    import torch
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    threads = torch.get_num_threads()
    return f"cpu ({threads} PyTorch thread{'s' if threads > 1 else ''})"


def keep_freed_memory() -> bool:
    """Make glibc's malloc keep the memory this process frees for its next allocations (mallopt
    M_MMAP_MAX 0 and M_TRIM_THRESHOLD off) instead of returning it to the kernel.

    Training allocates and frees tensors of up to 64 MB many times a step (AGVA's hidden layer on
    every visual cell). glibc serves each from a fresh mmap and unmaps it when freed, so the kernel
    zeroes every page again: a third of an epoch's time went to the system, on Debian 12 and 13.
    Process-wide and lasting (a training process's own allocator); True where it was set (glibc).
    """
    global _memory_kept
    if not _memory_kept:
        m_trim_threshold, m_mmap_max = -1, -4                 # <malloc.h>
        _memory_kept = _mallopt(m_mmap_max, 0) and _mallopt(m_trim_threshold, 2 ** 31 - 1)
    return _memory_kept


_memory_kept = False


def bound_malloc_arenas(arenas: int = 2) -> bool:
    """Make glibc's malloc use at most ``arenas`` arenas in this process (mallopt M_ARENA_MAX).

    A sweep runs hundreds of flowgraphs in one process, each with threads of its own, and glibc gives
    new threads arenas of their own (up to 8 per CPU): spread over them, what the runs leave allocated
    kept a process growing by about 12 MB a run of 80 videos even with each run's flowgraph collected
    (run_system collects each). With two arenas it levels off (423 MB after the first run, 557 MB
    after the 60th, in one process). Process-wide and lasting (a sweep process's own allocator); True
    where it was set (glibc).
    """
    m_arena_max = -8                                            # <malloc.h>
    return _mallopt(m_arena_max, arenas)


def _mallopt(parameter: int, value: int) -> bool:
    """glibc's mallopt; False where there is none or it refused."""
    mallopt = _libc_mallopt()
    return bool(mallopt(parameter, value)) if mallopt else False


@functools.lru_cache(maxsize=None)
def _libc_mallopt():
    import ctypes
    import ctypes.util
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return None


def native_bfloat16(device) -> bool:
    """Whether ``device`` (a torch.device) computes bfloat16 products in hardware: a CUDA device that
    PyTorch says supports it, or an x86 CPU with AMX or AVX-512 BF16 (Linux's /proc/cpuinfo)."""
    import torch
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return _cpu_bfloat16()


@functools.lru_cache(maxsize=None)
def _cpu_bfloat16() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def cpu_autocast_enabled() -> bool:
    """Whether bfloat16 autocast is on for the CPU here (PyTorch 2.4 renamed the question)."""
    import torch
    try:
        return torch.is_autocast_enabled("cpu")
    except TypeError:                                   # PyTorch before 2.4 (Debian 12's 1.13)
        return torch.is_autocast_cpu_enabled()


def describe() -> str:
    """``PyTorch 2.6.0 on OpenBLAS (...)``, and a second line ``warning: ...`` on the reference BLAS."""
    import torch
    name, optimised = blas()
    return f"PyTorch {torch.__version__} on {name}" + blas_warning(optimised)


def blas_warning(optimised: bool) -> str:
    """'' on an optimised BLAS, else a second line ``warning: ...`` naming the package to install."""
    return "" if optimised else "\nwarning: " + REFERENCE_BLAS_HINT


if __name__ == "__main__":
    print(describe())
