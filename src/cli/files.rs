//! The files a command is given: a directory stands for the `.flow` files
//! under it, as `cargo fmt` and `ruff` take directories.

use std::fs;
use std::path::{Path, PathBuf};

/// The paths as given, each directory replaced by the `.flow` files under
/// it; a directory that cannot be read is a message in its place, and so is
/// a directory with no `.flow` file under it: that is a wrong directory
/// more often than a finished job, and checking nothing must not look like
/// a pass.
pub(super) fn expand(paths: &[PathBuf]) -> Vec<Result<PathBuf, String>> {
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        if path.is_dir() {
            let (found, unreadable) = flow_files(path);
            if found.is_empty() && unreadable.is_empty() {
                out.push(Err(format!(
                    "no `.flow` file in the directory `{}` or under it \
                     (hidden directories, `target` and `node_modules` are not searched)",
                    path.display()
                )));
            }
            out.extend(unreadable.into_iter().map(Err));
            out.extend(found.into_iter().map(Ok));
        } else {
            out.push(Ok(path.clone()));
        }
    }
    out
}

/// The `.flow` files under a directory, in a stable order, and a message
/// for each directory that could not be read. Hidden directories, and the
/// `target` and `node_modules` of builds, are not looked into.
fn flow_files(dir: &Path) -> (Vec<PathBuf>, Vec<String>) {
    let (mut files, mut unreadable) = (Vec::new(), Vec::new());
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                unreadable.push(format!(
                    "could not read the directory `{}`: {e}",
                    dir.display()
                ));
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // `file_type` does not follow links, so a link to a directory
            // cannot lead the walk around in a circle.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "node_modules" {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "flow") {
                files.push(path);
            }
        }
    }
    files.sort();
    (files, unreadable)
}
