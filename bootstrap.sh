#!/usr/bin/env bash
# gr-semcom set-up and entry point for a Debian 12 machine (run as root or as a user with sudo).
#   ./bootstrap.sh demo   install what is missing, build, install, run the main job
#   ./bootstrap.sh test   install what is missing, build, install, run the whole test suite (ctest)
# Each step is skipped when already done, so a second run starts in seconds.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
root=$(pwd)
job=${1:-}
shift || true
case "$job" in
    demo|test) ;;
    *) echo "usage: $0 demo|test [arguments for the job]" >&2; exit 2 ;;
esac

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }

# 1. Debian packages (GNU Radio 3.10 and its Python bindings exist only for /usr/bin/python3).
debs="gnuradio gnuradio-dev python3-pybind11 python3-venv python3-dev python3-matplotlib python3-h5py cmake g++ make pkg-config"
missing=$(for p in $debs; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
    say "installing Debian packages:" $missing
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
fi

# 2. The venv: Debian's python3 with system site packages, plus the pinned packages.
venv=$root/.venv
stamp=$venv/.requirements.sha256
want=$(cat requirements.txt constraints.txt | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "creating the venv in .venv"
    /usr/bin/python3 -m venv --system-site-packages "$venv"
    "$venv/bin/pip" install -q -r requirements.txt -c constraints.txt
    echo "$want" > "$stamp"
fi

# 3. Build, then install to /usr/local (Python package, library, GRC blocks, the semcom command).
build=$root/build
mkdir -p "$build"
if [ ! -f "$build/CMakeCache.txt" ]; then
    say "configuring the build in build/"
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr/local \
        -DPYTHON_EXECUTABLE=/usr/bin/python3 -DSEMCOM_TEST_PYTHON="$venv/bin/python" > "$build/build.log" 2>&1 \
        || { cat "$build/build.log"; exit 1; }
fi
say "building"
cmake --build "$build" -j"$(nproc)" > "$build/build.log" 2>&1 || { cat "$build/build.log"; exit 1; }
as_root cmake --install "$build" > "$build/install.log" 2>&1 || { cat "$build/install.log"; exit 1; }
as_root ldconfig

# 4. The job.
if [ "$job" = demo ]; then
    say "running the main job: semcom demo (synthetic AVE, brief training, sweep through GNU Radio)"
    exec /usr/local/bin/semcom demo --out "$root/results/demo" "$@"
else
    say "running the tests (ctest)"
    cd "$build"
    SEMCOM_INSTALL_PREFIX=/usr/local exec ctest --output-on-failure -j"$(nproc)" "$@"
fi
