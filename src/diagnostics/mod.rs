//! Diagnostics of every stage, and their rendering for people and machines.
