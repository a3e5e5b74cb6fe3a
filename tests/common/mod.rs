//! Helpers shared by integration tests that talk to services: a scripted
//! local HTTP server (`mod common;` in a test file brings it in).

// Each test binary that includes this module uses a different part of it.
#![allow(dead_code)]

pub mod server;

// Not every test binary names every type.
#[allow(unused_imports)]
pub use server::{Reply, Request, TestServer};
