//! Helpers shared by integration tests (`mod common;` in a test file brings
//! them in): a scripted local HTTP server, and running the `flow` binary
//! for CLI snapshots.

// Each test binary that includes this module uses a different part of it.
#![allow(dead_code)]

pub mod cli;
pub mod mask;
pub mod outcome;
pub mod server;

// Not every test binary names every type.
#[allow(unused_imports)]
pub use server::{Reply, Request, TestServer};
