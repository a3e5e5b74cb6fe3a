//! The options of every command that uses the run store: where it is and
//! how much a commit survives.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use miette::Diagnostic;

use crate::runtime::store::{Durability, OpenOptions, Store, StoreError, default_path};

#[derive(Debug, Clone, Args)]
pub(super) struct StoreArgs {
    /// The run store [env: FLOW_STORE; default: .flow/runs.db in the current directory]
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,

    /// How much a commit survives: `normal` any crash of flow, `full` also the machine
    /// losing power (an fsync per commit)
    #[arg(long, value_name = "LEVEL", default_value = "normal")]
    pub durability: String,
}

/// A cap on the store's size in pages of 4 KiB, past which writes fail as on
/// a full disk: for the tests of that path (docs/store.md).
const MAX_PAGES_ENV: &str = "FLOW_STORE_MAX_PAGES";
/// How long a write waits for another process's lock, in milliseconds
/// (default 5000): for the tests of a locked store (docs/store.md).
const BUSY_TIMEOUT_ENV: &str = "FLOW_STORE_BUSY_TIMEOUT_MS";

impl StoreArgs {
    /// The store's path: `--store`, else `FLOW_STORE`, else `.flow/runs.db`
    /// under the current directory.
    pub fn path(&self) -> PathBuf {
        if let Some(path) = &self.store {
            return path.clone();
        }
        if let Some(path) = std::env::var_os("FLOW_STORE").filter(|p| !p.is_empty()) {
            return PathBuf::from(path);
        }
        default_path(Path::new("."))
    }

    /// Whether a store was named (`--store` or `FLOW_STORE`).
    pub fn named(&self) -> bool {
        self.store.is_some() || std::env::var_os("FLOW_STORE").is_some_and(|p| !p.is_empty())
    }

    pub fn durability(&self) -> Result<Durability, String> {
        self.durability
            .parse::<Durability>()
            .map_err(|e| e.to_string())
    }

    /// What the store is opened with: the durability, and the hidden test
    /// settings of the environment.
    fn options(&self) -> Result<OpenOptions, String> {
        let mut options = OpenOptions {
            durability: self.durability()?,
            ..OpenOptions::default()
        };
        if let Some(pages) = number_env(MAX_PAGES_ENV)? {
            options.max_page_count = Some(pages);
        }
        if let Some(ms) = number_env(BUSY_TIMEOUT_ENV)? {
            options.busy_timeout = Duration::from_millis(ms);
        }
        Ok(options)
    }

    /// Opens the store, creating it (and its directory) when it is not
    /// there.
    pub fn open(&self) -> Result<Store, String> {
        let path = self.path();
        Store::open_with(&path, self.options()?).map_err(|e| describe(&e))
    }

    /// Opens the store of `flow run`, which may run without one: a store
    /// that cannot be opened says so as well.
    pub fn open_for_run(&self) -> Result<Store, String> {
        let path = self.path();
        Store::open_with(&path, self.options()?).map_err(|e| {
            let mut message = e.to_string();
            if !self.named() {
                let here = std::env::current_dir()
                    .map(|dir| format!(" ({})", dir.display()))
                    .unwrap_or_default();
                message.push_str(&format!(
                    "\n  = note: `{}` is where `flow run` records runs unless told otherwise: \
                     under the current directory{here}",
                    path.display()
                ));
            }
            message.push_str(&in_memory_help(&e));
            message
        })
    }

    /// Opens a store that must exist already (for the commands that read
    /// runs): a missing one is named, with how runs get there.
    pub fn open_existing(&self) -> Result<Store, String> {
        let path = self.path();
        if !path.exists() {
            let how = if self.named() {
                format!(
                    "`flow run --store {}` (or with FLOW_STORE set)",
                    path.display()
                )
            } else {
                "`flow run` in this directory, unless run with `--no-store`".to_owned()
            };
            return Err(format!(
                "there is no run store at `{}`; runs are recorded there by {how}\n  \
                 = help: `--store PATH` (or FLOW_STORE) names another store",
                path.display(),
            ));
        }
        self.open()
    }
}

/// ` --store PATH` for the commands a message suggests, or nothing for the
/// default store, which they find by themselves.
pub(super) fn store_flag(path: &Path) -> String {
    let default = default_path(Path::new("."));
    if path == default {
        String::new()
    } else {
        format!(" --store {}", path.display())
    }
}

/// A store error with its help, as the CLI prints it.
pub(super) fn describe(error: &StoreError) -> String {
    match error.help() {
        Some(help) => format!("{error}\n  = help: {help}"),
        None => error.to_string(),
    }
}

/// A store error of `flow run` with its help, which adds that the run can
/// do without the store.
pub(super) fn or_in_memory(error: &StoreError) -> String {
    format!("{error}{}", in_memory_help(error))
}

/// The help line of a store error that stops `flow run`: the store's help,
/// and `--no-store`.
fn in_memory_help(error: &StoreError) -> String {
    let memory = "run in memory only, with nothing to resume, with `--no-store`";
    match error.help() {
        Some(help) => format!("\n  = help: {help}; or {memory}"),
        None => format!("\n  = help: {memory}"),
    }
}

/// A whole number from the environment variable `name`, when set.
fn number_env(name: &str) -> Result<Option<u64>, String> {
    match std::env::var(name) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Ok(text) if text.is_empty() => Ok(None),
        Ok(text) => text
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("{name} must be a whole number, such as 1000; found `{text}`")),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!(
            "{name} must be a whole number, such as 1000; found bytes that are not text"
        )),
    }
}
