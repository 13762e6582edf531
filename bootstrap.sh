#!/usr/bin/env bash
# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
# gr-semcom set-up and entry point for Debian 13 (trixie) and Debian 12 (bookworm); Ubuntu 24.04 has
# the same packages.
#   ./bootstrap.sh demo [--prefix DIR] [--pip-deps] [semcom demo options]   install what is missing, build, install, run the main job
#   ./bootstrap.sh test [--prefix DIR] [--pip-deps] [ctest options]         the same, then the whole test suite (ctest)
#   ./bootstrap.sh install [--prefix DIR] [--pip-deps]                      build and install only
# Everything comes from Debian's packages (GNU Radio, PyTorch, PyAV, Dask, tqdm, h5py, OpenBLAS): no pip,
# no download from elsewhere. The prefix is /usr/local by default (root or sudo); a prefix you can write
# to (for example $HOME/.local) needs neither, provided the Debian packages below are installed already.
# --pip-deps: PyTorch, tqdm, PyAV and Dask from pip instead (requirements.txt; for a newer or a CUDA
# PyTorch), in a folder of the module's own that only gr-semcom's code puts on sys.path;
# SEMCOM_PIP_ARGS (environment) adds pip options, e.g. PyTorch's CPU index. docs/install.md has more.
# Each step is skipped when already done, so a second run starts in seconds.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
root=$(pwd)
job=${1:-}
shift || true
case "$job" in
    demo|test|install) ;;
    *) echo "usage: $0 demo|test|install [--prefix DIR] [--pip-deps] [arguments for the job]" >&2; exit 2 ;;
esac
prefix=/usr/local
pip_deps=OFF
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix)
            [ -n "${2:-}" ] || { echo "$0: --prefix needs a folder" >&2; exit 2; }
            mkdir -p "$2"
            prefix=$(readlink -f "$2")
            shift 2 ;;
        --pip-deps) pip_deps=ON; shift ;;
        *) break ;;
    esac
done

say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
# Install steps need root only where the prefix is not ours to write.
as_owner() { if [ -w "$prefix" ]; then "$@"; else as_root "$@"; fi; }

# 1. Debian packages: GNU Radio 3.10 and everything else Debian's /usr/bin/python3 uses (GNU Radio's
#    bindings exist only for it). libopenblas0-pthread: Debian's PyTorch is about 25 times slower on
#    the reference BLAS that GNU Radio's packages leave in place.
debs="gnuradio gnuradio-dev gir1.2-gtk-3.0 python3-pybind11 python3-dev python3-matplotlib python3-h5py python3-threadpoolctl
      python3-zmq cmake g++ make pkg-config"
if [ "$pip_deps" = ON ]; then
    debs="$debs python3-pip"
else
    debs="$debs python3-torch python3-av python3-dask python3-distributed python3-tqdm libopenblas0-pthread"
fi
# the test runner; git: the documentation and tree tests list the checkout's files; libblas3: the reference BLAS,
# for the test of the warning about it; flake8, clang-format: the tree's lint and layout checks (tests/test_tree.py);
# hypothesis: the generated hostile inputs (tests/test_hostile_input.py)
if [ "$job" = test ]; then
    debs="$debs python3-pytest python3-pytest-timeout git libblas3 python3-flake8 clang-format python3-hypothesis"
fi
missing=$(for p in $debs; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
    say "installing Debian packages:" $missing
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
fi

# 2. Build (the C++ kernel, the package; with --pip-deps also pip's PyTorch/tqdm/PyAV/Dask for Debian's
#    python3 in build/python-deps), then install to the prefix: nothing installed refers back to this folder.
build=$root/build
mkdir -p "$build"
if ! grep -qx "CMAKE_INSTALL_PREFIX:PATH=$prefix" "$build/CMakeCache.txt" 2>/dev/null \
        || ! grep -qx "SEMCOM_PYTHON_DEPS:BOOL=$pip_deps" "$build/CMakeCache.txt" \
        || ! grep -qxF "SEMCOM_PIP_ARGS:STRING=${SEMCOM_PIP_ARGS:-}" "$build/CMakeCache.txt"; then
    say "configuring the build in build/ for $prefix"
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
        -DPYTHON_EXECUTABLE=/usr/bin/python3 -DSEMCOM_PYTHON_DEPS="$pip_deps" -DSEMCOM_PIP_ARGS="${SEMCOM_PIP_ARGS:-}" \
        > "$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
fi
grep -A3 '^CMake Warning at CMakeLists.txt' "$build/configure.log" || true     # e.g. PyTorch on the reference BLAS
if [ "$pip_deps" = ON ]; then
    say "building (the first time, pip installs PyTorch for /usr/bin/python3: 0.9 GB CPU build, 4.7 GB CUDA build)"
else
    say "building"
fi
cmake --build "$build" -j"$(nproc)" > "$build/build.log" 2>&1 || { cat "$build/build.log"; exit 1; }
say "installing to $prefix"
as_owner cmake --install "$build" > "$build/install.log" 2>&1 || { cat "$build/install.log"; exit 1; }
if [ "$prefix" = /usr/local ] || [ "$prefix" = /usr ]; then as_root ldconfig; fi

# 3. The job.
case "$job" in
    install)
        say "installed to $prefix; docs/install.md says what to add to PATH, PYTHONPATH and GRC's block path" ;;
    demo)
        say "running the main job: semcom demo (synthetic AVE, brief training, sweep through GNU Radio)"
        exec "$prefix/bin/semcom" demo "$@" ;;
    test)
        say "running the tests (ctest)"
        cd "$build"
        SEMCOM_INSTALL_PREFIX=$prefix exec ctest --output-on-failure -j"$(nproc)" "$@" ;;
esac
