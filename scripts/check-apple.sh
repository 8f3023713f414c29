#!/usr/bin/env bash
# Type-check rvenv for macOS (x86_64-apple-darwin and aarch64-apple-darwin) on Linux: library,
# binary and tests, `cargo check --all-targets`, failing on any warning. No macOS toolchain is
# needed for a check (nothing is linked): Debian sid's rustc builds the standard library for the
# Apple targets from its rust-src package (-Zbuild-std, allowed on a stable rustc by
# RUSTC_BOOTSTRAP).
#
# It runs in the Debian sid root of scripts/sid-root.sh (made if missing), into which it installs
# rustc, cargo and rust-src once; nothing else in the root changes (tests/it/sid.rs runs its
# Pythons there). The sources and a cache are bind-mounted into the root's empty /srv and /mnt
# in a mount namespace of this script's own, so the mounts end with it and no other process in
# the root sees them. The cache (cargo's home with its registry, the target dir with the built
# standard libraries) lives under ~/.cache/rvenv-apple (override: RVENV_APPLE_CACHE): the first
# run builds std for both targets (some minutes), a later one about a minute.
#
# Usage: bash scripts/check-apple.sh [TARGET...]   (default: both Apple targets). Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(x86_64-apple-darwin aarch64-apple-darwin)
CACHE="${RVENV_APPLE_CACHE:-$HOME/.cache/rvenv-apple}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

log() { printf '== %s\n' "$*" >&2; }

ROOT="${RVENV_SID_ROOT:-}"
if [ -z "$ROOT" ] || [ ! -d "$ROOT" ]; then
    ROOT=$(bash scripts/sid-root.sh)
fi

# rustc, cargo and rust-src in the root, once. sid's Release file on the mirror is past its
# Valid-Until date (the mirror is a snapshot), hence the option.
if ! $SUDO chroot "$ROOT" sh -c 'command -v cargo >/dev/null && test -d /usr/lib/rustlib/src/rust/library'; then
    log "installing rustc, cargo, rust-src in $ROOT (once)"
    apt_get() {
        $SUDO chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive \
            apt-get -o Acquire::Check-Valid-Until=false -y -q "$@" >/dev/null
    }
    apt_get update
    apt_get install --no-install-recommends rustc cargo rust-src
fi

mkdir -p "$CACHE/cargo-home" "$CACHE/target"
# cargo in the root fetches the crates for the Apple targets; it trusts the host's CAs.
cp /etc/ssl/certs/ca-certificates.crt "$CACHE/ca-certificates.crt"
# Crates with C in them (ring, under rustls) run a C compiler for the target in their build
# scripts, and this machine has none for Apple's. A type-check links nothing, so a stand-in that
# writes empty objects and archives is all those build scripts need.
cat >"$CACHE/stand-in-cc" <<'STANDIN'
#!/bin/sh
# Writes an empty file wherever -o names one (objects), or the archive an `ar` call names.
out=""
while [ $# -gt 0 ]; do
    case "$1" in
        -o) out=$2; shift ;;
        -o*) out=${1#-o} ;;
        *.a) [ -z "$out" ] && out=$1 ;;
    esac
    shift
done
[ -n "$out" ] && : >"$out"
exit 0
STANDIN
chmod 755 "$CACHE/stand-in-cc"
for dir in srv mnt; do
    [ -d "$ROOT/$dir" ] || { echo "check-apple: $ROOT/$dir is missing" >&2; exit 1; }
done

log "cargo check --all-targets for ${TARGETS[*]} ($($SUDO chroot "$ROOT" rustc --version))"
# In the namespace: bind the sources on /srv and the cache on /mnt, then chroot. Any line with
# `warning` from cargo or rustc fails the check (cargo replays a crate's cached warnings, so an
# unchanged crate's warning is seen again on a later run).
log_file="$CACHE/check.log"
status=0
$SUDO unshare --mount --propagation private sh -euc '
    root=$1 src=$2 cache=$3; shift 3
    mount --bind "$src" "$root/srv"
    mount --bind "$cache" "$root/mnt"
    for target in "$@"; do
        chroot "$root" env -i PATH=/usr/bin:/bin HOME=/mnt RUSTC_BOOTSTRAP=1 \
            CARGO_HOME=/mnt/cargo-home CARGO_TARGET_DIR=/mnt/target CARGO_HTTP_CAINFO=/mnt/ca-certificates.crt \
            CC_x86_64_apple_darwin=/mnt/stand-in-cc AR_x86_64_apple_darwin=/mnt/stand-in-cc \
            CC_aarch64_apple_darwin=/mnt/stand-in-cc AR_aarch64_apple_darwin=/mnt/stand-in-cc \
            CARGO_TERM_COLOR=never sh -c "cd /srv && cargo check --locked --all-targets \
                -Zbuild-std=std,panic_abort --target $target"
    done
' sh "$ROOT" "$PWD" "$CACHE" "${TARGETS[@]}" >"$log_file" 2>&1 || status=$?
if [ "$status" -ne 0 ] || grep -q 'warning' "$log_file"; then
    grep -v '^ *\(Compiling\|Checking\|Downloaded\|Downloading\|Finished\|Updating\|Locking\|Blocking\)' "$log_file" >&2 || true
    echo "check-apple: cargo check for ${TARGETS[*]} failed or warned (log: $log_file)" >&2
    exit 1
fi
grep '^ *Finished' "$log_file" >&2 || true
log "Apple targets type-check clean"
