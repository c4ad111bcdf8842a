#!/usr/bin/env bash
# Installs whatever MixTape needs to build, run and test that this machine lacks:
# Debian packages, the wasm target, cargo-leptos, wasm-bindgen-cli and the
# end-to-end npm packages. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.4
# wasm-bindgen-cli must be exactly the version of the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

# Debian packages: a C compiler for crates that build C (SQLite, ring), Node.js
# for Playwright and wasm-opt, Chromium for the end-to-end tests, and Mesa's
# software Vulkan driver (lavapipe) so that the GPU path (wgpu) is tested on
# machines without a GPU, and the General MIDI SoundFonts that render the
# music (FluidR3 for quality; the small TimGM6mb, quick to load, for tests),
# and PostgreSQL, on which the tests run a second time.
missing=()
need() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || missing+=("$1"); }
command -v cc >/dev/null || need gcc
command -v node >/dev/null || need nodejs
command -v npm >/dev/null || need npm
need chromium
need fonts-dejavu-core
need libvulkan1
need mesa-vulkan-drivers
need fluid-soundfont-gm
need timgm6mb-soundfont
need postgresql
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION"
  # no_downloads: a missing tool is an error instead of a download from outside the registries.
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: one of its locked dependencies does not resolve from the registry.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# Playwright (driving Debian's Chromium, never downloading a browser) and
# binaryen's wasm-opt, which cargo-leptos runs on the release wasm.
stamp=end2end/node_modules/.installed-from-package-lock.json
if ! cmp -s end2end/package-lock.json "$stamp"; then
  say "installing end-to-end npm packages"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  cp end2end/package-lock.json "$stamp"
fi
