//! The server's integration tests, in one executable: every test links the
//! whole server (models, audio, database), and one link is much cheaper than
//! one per file.
//!
//! Tests that use a database run on SQLite, or on PostgreSQL when
//! `MIXTAPE_TEST_POSTGRES` names a server (see `migrations::testing`).

mod accounts;
mod api;
mod capacity;
mod cli;
mod common;
mod faults;
mod http;
mod instances;
mod model_cli;
mod pieces;
mod purchases;
mod render;
