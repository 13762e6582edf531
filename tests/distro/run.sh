#!/usr/bin/env bash
# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs gr-semcom as a new user would on a fresh Debian release: a minimal system made with debootstrap
# from Debian's mirror, a clone of this repository's committed HEAD inside it, the README's commands.
#
#   tests/distro/run.sh RELEASE [--dir DIR] [--keep] [--mirror URL] [-- COMMAND ...]
#
#   RELEASE    trixie (Debian 13, stable) or bookworm (Debian 12, oldstable)
#   --dir      where the system is made (default /var/tmp/gr-semcom-distro/RELEASE); it is made anew
#              each time unless --keep is given and an earlier run finished making it
#   --keep     reuse the system an earlier run made (its packages stay; the clone is always fresh)
#   --mirror   Debian mirror (default http://deb.debian.org/debian)
#   COMMAND    run in the clone instead of the default check, e.g. -- ./bootstrap.sh test -R py_test_euler
#
# The default check: the README's two commands, `./bootstrap.sh demo` then `./bootstrap.sh test` (the
# whole suite, which also compiles the installed GRC examples and runs them with that release's
# /usr/bin/python3). Needs root (debootstrap, chroot). The mounts (/proc, /sys, /dev) live in a
# private mount namespace, so they go away when the run ends, whether it passes, fails or is killed.
set -euo pipefail
usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
release=${1:-}
case "$release" in trixie|bookworm) shift ;; *) usage ;; esac
dir=/var/tmp/gr-semcom-distro/$release
keep=0
mirror=http://deb.debian.org/debian
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) dir=${2:?--dir needs a folder}; shift 2 ;;
        --keep) keep=1; shift ;;
        --mirror) mirror=${2:?--mirror needs a URL}; shift 2 ;;
        --) shift; break ;;
        *) usage ;;
    esac
done
repo=$(git -C "$(dirname "$(readlink -f "$0")")" rev-parse --show-toplevel)
[ "$(id -u)" -eq 0 ] || { echo "$0: run as root (debootstrap and chroot need it)" >&2; exit 2; }
say() { printf '\033[1m[distro %s]\033[0m %s\n' "$release" "$*"; }

if ! command -v debootstrap > /dev/null; then
    say "installing debootstrap"
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap
fi
# one run at a time per system: another would delete the clone under this one's feet
mkdir -p "$(dirname "$dir")"
exec 9> "$dir.lock"
flock -n 9 || { echo "$0: another run uses $dir (lock $dir.lock)" >&2; exit 2; }
if [ "$keep" -eq 0 ] || [ ! -e "$dir/.made" ]; then
    say "making a fresh Debian $release in $dir (debootstrap --variant=minbase)"
    rm -rf --one-file-system "$dir"
    mkdir -p "$dir"
    start=$SECONDS
    debootstrap --variant=minbase "$release" "$dir" "$mirror" > "$dir.debootstrap.log" 2>&1 \
        || { tail -30 "$dir.debootstrap.log"; exit 1; }
    security=${mirror%/debian}/debian-security
    printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
        "$mirror" "$release" "$mirror" "$release" "$security" "$release" > "$dir/etc/apt/sources.list"
    touch "$dir/.made"
    say "made in $((SECONDS - start)) s"
fi
cp /etc/resolv.conf "$dir/etc/resolv.conf"
cp /etc/hosts "$dir/etc/hosts"
rm -rf "$dir/root/gr-semcom"
git clone -q --no-hardlinks "$repo" "$dir/root/gr-semcom"
say "clone of $(git -C "$repo" rev-parse --short HEAD) in $dir/root/gr-semcom"

if [ $# -eq 0 ]; then
    set -- bash -c './bootstrap.sh demo && ./bootstrap.sh test'
fi
# A user's login environment: nothing of this machine's (no pyenv, no venv, no PYTHONPATH).
start=$SECONDS
status=0
unshare --mount --propagation private -- /bin/sh -ec '
    dir=$1; shift
    mount -t proc proc "$dir/proc"
    mount --rbind /sys "$dir/sys"
    mount --rbind /dev "$dir/dev"
    exec chroot "$dir" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb CI="${CI:-}" \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/sh -c "cd /root/gr-semcom && exec \"\$@\"" sh "$@"' sh "$dir" "$@" || status=$?
say "finished with status $status in $((SECONDS - start)) s"
exit "$status"
