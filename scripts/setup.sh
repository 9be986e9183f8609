#!/usr/bin/env bash
# Installs what gr-streamproc needs to build, test and run, from Debian 12's packages.
# Idempotent: when everything is installed already it touches nothing (no network).
set -euo pipefail

PACKAGES=(
    build-essential cmake pkg-config git
    gnuradio gnuradio-dev libvolk2-dev libfftw3-dev libspdlog-dev libgmp-dev libboost-dev
    pybind11-dev python3-dev libcppunit-dev nlohmann-json3-dev
    python3-numpy python3-scipy python3-tqdm python3-matplotlib
    # GNU Radio Companion's window (without it: "Namespace Gtk not available")
    gir1.2-gtk-3.0
    # an independent decoder for the real RTL-SDR captures in the tests
    rtl-433
    # batch and distributed runs (streamproc detect FILES --jobs/--scheduler); network
    # namespaces for the two-host test
    python3-distributed iproute2
    # live SDR input: gr-osmosdr's rtl_tcp client
    gr-osmosdr
    # the checks of scripts/lint.sh, the fuzzers of scripts/fuzz.sh
    clang-format-14 pyflakes3 python3-pycodestyle clang-14 libfuzzer-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#PACKAGES[@]} packages present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
