#!/usr/bin/env bash
# Installs what is missing, builds MixTape for release and serves it on
# http://127.0.0.1:3000 with its defaults: a SQLite file under ./data, the
# models shipped in ./models, the CPU. Plain HTTP on this machine, so the
# session cookie goes without the Secure flag (--insecure-cookies), which a
# server behind HTTPS must not use. Flags after the command go to the server
# (`scripts/run.sh --help` lists them).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
# cargo-leptos finds binaryen's wasm-opt here to shrink the release wasm.
export PATH="$PWD/end2end/node_modules/.bin:$PATH"
cargo leptos build --release
exec target/release/mixtape --insecure-cookies "$@"
