#!/usr/bin/env bash
# Installs what is missing, then runs every check and test: formatting, lints,
# unit and integration tests of every crate, and the end-to-end tests in Chromium;
# whatever uses the database runs on SQLite and again on a throw-away PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

# One-off builds gain nothing from incremental caches, which cost gigabytes of disk.
export CARGO_INCREMENTAL=0

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "formatting"
cargo fmt --all --check

step "lints"
cargo clippy --workspace --exclude frontend --all-targets --locked -- -D warnings

step "unit and integration tests"
cargo test --workspace --exclude frontend --locked

step "the database's tests again, on PostgreSQL"
postgres=$(mktemp -d)
trap 'scripts/postgres.sh stop "$postgres" 2>/dev/null || true; rm -rf "$postgres"' EXIT
MIXTAPE_TEST_POSTGRES=$(scripts/postgres.sh start "$postgres")
export MIXTAPE_TEST_POSTGRES
# The same crate selection as above, so that nothing is built again: the unit
# tests of every crate and the server's integration tests.
cargo test --workspace --exclude frontend --locked --lib --test integration

step "end-to-end tests"
# The server binary is the one `cargo test` just built (target/debug/mixtape);
# cargo-leptos adds the wasm, JavaScript, CSS and public files.
cargo leptos build --frontend-only
(cd end2end && npx playwright test)

step "end-to-end tests on PostgreSQL"
psql "$MIXTAPE_TEST_POSTGRES/postgres" --quiet --command "CREATE DATABASE end2end"
(cd end2end && MIXTAPE_E2E_DATABASE_URL="$MIXTAPE_TEST_POSTGRES/end2end" npx playwright test)
