#!/usr/bin/env bash
# Two Debian stable minbase roots for tests/it/pip_source.rs, which runs rvenv in them with chroot:
# - $ROOT: `python3` only — no python3-venv, so no ensurepip and no pip wheel anywhere (the
#   machine issue 20 is about: `python3 -m venv` fails there);
# - $ROOT-whl: the same plus Debian's `python3-pip-whl` (pip's wheel in /usr/share/python-wheels).
# Run once as root (or with sudo); a second run reuses the roots and only makes sure /proc is
# mounted in them. Prints the first root's path last.
#
# The roots live under ~/.cache (override: RVENV_STABLE_ROOT). Each is built in a temporary
# directory beside it and renamed into place when done, so a killed run never leaves a root that
# looks done; the next run removes what a killed one left. The mirror is the one this machine's
# own apt sources name; stable is never added to those sources.
set -euo pipefail

ROOT="${RVENV_STABLE_ROOT:-$HOME/.cache/rvenv-stable}"
WHL="$ROOT-whl"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

log() { printf '== %s\n' "$*" >&2; }

# Unmount everything below $1 (deepest first), then remove it without crossing into a mount.
remove_root() {
    local dir="$1" mounts
    mounts=$(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/self/mounts | sort -r)
    for m in $mounts; do
        $SUDO umount -l "$m"
    done
    $SUDO rm -rf --one-file-system "$dir"
}

unmount_below() {
    local m
    for m in $(awk -v d="$1" 'index($2, d "/") == 1 {print $2}' /proc/self/mounts | sort -r); do
        $SUDO umount -l "$m"
    done
}

mirror() {
    local m=""
    if [ -r /etc/apt/sources.list.d/debian.sources ]; then
        m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$m" ] && [ -r /etc/apt/sources.list ]; then
        m=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
    fi
    [ -n "$m" ] || { echo "stable-root: no Debian mirror found in this machine's apt sources" >&2; exit 1; }
    printf '%s\n' "$m"
}

remove_stale() {
    local stale pid
    for stale in "$1".tmp-*; do
        [ -e "$stale" ] || continue
        pid="${stale##*.tmp-}"
        pid="${pid%.log}"
        if ! kill -0 "$pid" 2>/dev/null; then
            log "removing $stale, left by a run that was stopped"
            remove_root "$stale"
        fi
    done
}

if [ ! -d "$ROOT" ] || [ ! -d "$WHL" ]; then
    mkdir -p "$(dirname "$ROOT")"
    remove_stale "$ROOT"
    remove_stale "$WHL"
    if ! command -v debootstrap >/dev/null 2>&1; then
        log "installing debootstrap"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq debootstrap >/dev/null
    fi
fi

if [ ! -d "$ROOT" ]; then
    tmp="$ROOT.tmp-$$"
    trap 'remove_root "$tmp"' EXIT
    log "making a Debian stable root with python3 only in $ROOT (about a minute and 200 MB, once)"
    $SUDO debootstrap --variant=minbase --include=python3 stable "$tmp" "$(mirror)" >"$tmp.log" 2>&1 || {
        tail -n 20 "$tmp.log" >&2
        echo "stable-root: debootstrap failed; its log is $tmp.log" >&2
        exit 1
    }
    rm -f "$tmp.log"
    $SUDO chroot "$tmp" python3 -c 'import venv' || {
        echo "stable-root: python3 in the new root does not import venv" >&2
        exit 1
    }
    if $SUDO chroot "$tmp" python3 -c 'import ensurepip' 2>/dev/null || [ -d "$tmp/usr/share/python-wheels" ]; then
        echo "stable-root: the new root has ensurepip or pip wheels, which it must not" >&2
        exit 1
    fi
    unmount_below "$tmp"
    $SUDO mv -T "$tmp" "$ROOT"
    trap - EXIT
fi

if [ ! -d "$WHL" ]; then
    tmp="$WHL.tmp-$$"
    trap 'remove_root "$tmp"' EXIT
    log "making $WHL: the stable root plus python3-pip-whl (once)"
    unmount_below "$ROOT"
    $SUDO cp -a --reflink=auto "$ROOT" "$tmp"
    $SUDO mount --bind /proc "$tmp/proc"
    {
        $SUDO chroot "$tmp" apt-get update -qq &&
            $SUDO chroot "$tmp" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip-whl &&
            $SUDO chroot "$tmp" apt-get clean &&
            $SUDO rm -rf "$tmp/var/lib/apt/lists/"*
    } >"$tmp.log" 2>&1 || {
        tail -n 20 "$tmp.log" >&2
        echo "stable-root: installing python3-pip-whl failed; its log is $tmp.log" >&2
        exit 1
    }
    rm -f "$tmp.log"
    ls "$tmp"/usr/share/python-wheels/pip-*.whl >/dev/null || {
        echo "stable-root: python3-pip-whl put no pip wheel in /usr/share/python-wheels" >&2
        exit 1
    }
    unmount_below "$tmp"
    $SUDO mv -T "$tmp" "$WHL"
    trap - EXIT
fi

# /proc, once: a second run, or a run after a reboot, finds it mounted or mounts it.
for root in "$ROOT" "$WHL"; do
    if ! awk -v p="$root/proc" '$2 == p {found = 1} END {exit !found}' /proc/self/mounts; then
        $SUDO mount --bind /proc "$root/proc"
    fi
done
printf '%s\n' "$ROOT"
