//! The options of every command that uses the run store: where it is and
//! how much a commit survives.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::runtime::store::{Durability, Store, default_path};

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

    /// Opens the store, creating it (and its directory) when it is not
    /// there.
    pub fn open(&self) -> Result<Store, String> {
        let durability = self.durability()?;
        Store::open(&self.path(), durability).map_err(|e| e.to_string())
    }

    /// Opens a store that must exist already (for the commands that read
    /// runs): a missing one is named, with how runs get there.
    pub fn open_existing(&self) -> Result<Store, String> {
        let path = self.path();
        if !path.exists() {
            return Err(format!(
                "there is no run store at `{}`; runs are recorded there by `flow run --store {}` \
                 (or with FLOW_STORE set), and `--store PATH` names another",
                path.display(),
                path.display()
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
