//! Gemeente bundles as archives, read from an upload held in memory: a `.tar.gz` or a `.zip` of
//! a `tenants/<slug>` folder (or of `<slug>/`, or of the files themselves). Nothing is unpacked
//! to disk. An upload is hostile until read: every path is checked, only regular files and
//! folders are taken, and every size is counted while inflating, never taken from what the
//! archive declares, so a bomb stops at the limit without its memory being allocated.

mod tar_gz;
mod zip;

use std::collections::BTreeMap;
use std::io::Read;

/// The largest upload read (the console's body limit for the upload route).
pub const MAX_UPLOAD: usize = 4 * 1024 * 1024;
/// The most entries (files and folders) an archive may hold.
pub const MAX_ENTRIES: usize = 64;
/// The largest file, uncompressed.
pub const MAX_FILE: u64 = 2 * 1024 * 1024;
/// All files together, uncompressed.
pub const MAX_TOTAL: u64 = 8 * 1024 * 1024;

/// A bundle's files by their path in it.
pub type Files = BTreeMap<String, Vec<u8>>;

/// Something wrong with an archive: the file it is about (empty: the archive itself) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveProblem {
    /// The path in the archive, as it stands there.
    pub file: String,
    /// Why, in English (the catalogue-free words of `tenants check`).
    pub message: String,
}

impl ArchiveProblem {
    fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            message: message.into(),
        }
    }
}

/// What an entry of an archive is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Folder,
    /// A link, a device or another special file: never taken.
    Other(&'static str),
}

/// An entry as read: its raw path, its kind and (for a file) its content.
struct Entry {
    path: Vec<u8>,
    kind: Kind,
    data: Vec<u8>,
}

/// What is left to read: sizes are counted while inflating.
struct Budget {
    total: u64,
    entries: usize,
}

impl Budget {
    fn new() -> Self {
        Self {
            total: MAX_TOTAL,
            entries: MAX_ENTRIES,
        }
    }

    /// Counts one more entry; a problem past [`MAX_ENTRIES`].
    fn entry(&mut self) -> Result<(), ArchiveProblem> {
        if self.entries == 0 {
            return Err(ArchiveProblem::new(
                "",
                format!("holds more than {MAX_ENTRIES} files and folders"),
            ));
        }
        self.entries -= 1;
        Ok(())
    }

    /// Reads `content` of the file `name` to at most [`MAX_FILE`] and what is left of
    /// [`MAX_TOTAL`], stopping one byte past either limit.
    fn read(&mut self, name: &[u8], content: impl Read) -> Result<Vec<u8>, ArchiveProblem> {
        let cap = MAX_FILE.min(self.total);
        let mut data = Vec::new();
        content
            .take(cap + 1)
            .read_to_end(&mut data)
            .map_err(|e| ArchiveProblem::new(shown(name), format!("cannot be read: {e}")))?;
        let read = data.len() as u64;
        if read > MAX_FILE {
            return Err(ArchiveProblem::new(
                shown(name),
                format!("is larger than {} MiB", MAX_FILE / (1024 * 1024)),
            ));
        }
        if read > self.total {
            return Err(ArchiveProblem::new(
                "",
                format!(
                    "its files together are larger than {} MiB",
                    MAX_TOTAL / (1024 * 1024)
                ),
            ));
        }
        self.total -= read;
        Ok(data)
    }
}

/// A path as shown in a message.
fn shown(path: &[u8]) -> String {
    String::from_utf8_lossy(path).chars().take(200).collect()
}

/// The path of an entry made safe: relative, `/`-separated, without `..`, a drive or a
/// backslash; `.` parts left out. The folders' trailing `/` is dropped.
fn clean_path(raw: &[u8]) -> Result<String, &'static str> {
    let text = std::str::from_utf8(raw).map_err(|_| "its name is not UTF-8")?;
    if text.len() > 255 {
        return Err("its name is longer than 255 bytes");
    }
    if text.contains('\\') {
        return Err("its name holds a backslash");
    }
    if text.starts_with('/') {
        return Err("its path is absolute");
    }
    if text.chars().any(char::is_control) {
        return Err("its name holds a control character");
    }
    let mut parts = Vec::new();
    let trimmed = text.strip_suffix('/').unwrap_or(text);
    for (i, part) in trimmed.split('/').enumerate() {
        match part {
            "." => {}
            "" => return Err("its path has an empty part"),
            ".." => return Err("its path leaves the folder (..)"),
            p if i == 0 && p.len() >= 2 && p.as_bytes()[1] == b':' => {
                return Err("its path names a drive");
            }
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// Files that archivers of other systems add and that are no part of a bundle.
fn is_litter(path: &str) -> bool {
    path.split('/')
        .any(|p| p == "__MACOSX" || p == ".DS_Store" || p.starts_with("._"))
}

/// The one bundle among `files`: the folder holding its `tenant.toml` (the root, `<slug>/` or
/// `tenants/<slug>/`), with every file under it by its path in the bundle.
fn the_bundle(files: BTreeMap<String, Vec<u8>>) -> Result<(String, Files), Vec<ArchiveProblem>> {
    let manifests: Vec<String> = files
        .keys()
        .filter_map(|p| p.strip_suffix(crate::bundle::MANIFEST))
        .filter(|prefix| {
            if !(prefix.is_empty() || prefix.ends_with('/')) {
                return false;
            }
            let parts: Vec<&str> = prefix.split('/').filter(|p| !p.is_empty()).collect();
            matches!(parts.as_slice(), [] | [_] | ["tenants", _])
        })
        .map(str::to_owned)
        .collect();
    let prefix = match manifests.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(vec![ArchiveProblem::new(
                "",
                format!(
                    "holds no {} at its root, in <slug>/ or in tenants/<slug>/",
                    crate::bundle::MANIFEST
                ),
            )]);
        }
        many => {
            return Err(vec![ArchiveProblem::new(
                "",
                format!(
                    "holds more than one gemeente ({}): upload one at a time",
                    many.join(", ")
                ),
            )]);
        }
    };
    let mut inside = BTreeMap::new();
    let mut problems = Vec::new();
    for (path, data) in files {
        match path.strip_prefix(&prefix) {
            Some(rest) => {
                inside.insert(rest.to_owned(), data);
            }
            None => problems.push(ArchiveProblem::new(
                path,
                format!("lies outside the gemeente's folder {prefix}"),
            )),
        }
    }
    if problems.is_empty() {
        Ok((prefix, inside))
    } else {
        Err(problems)
    }
}

/// The files of the one bundle in `bytes` (a `.tar.gz` or a `.zip`, told apart by their first
/// bytes), by their path in the bundle, with the folder they were in (`tenants/<slug>/`, or
/// empty); every problem found, when any is.
pub fn read_archive(bytes: &[u8]) -> Result<(String, Files), Vec<ArchiveProblem>> {
    if bytes.len() > MAX_UPLOAD {
        return Err(vec![ArchiveProblem::new(
            "",
            format!("is larger than {} MiB", MAX_UPLOAD / (1024 * 1024)),
        )]);
    }
    let mut budget = Budget::new();
    let entries = if bytes.starts_with(b"\x1f\x8b") {
        tar_gz::entries(bytes, &mut budget)
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        zip::entries(bytes, &mut budget)
    } else {
        Err(ArchiveProblem::new(
            "",
            "is neither a .tar.gz nor a .zip file",
        ))
    }
    .map_err(|p| vec![p])?;
    let mut problems = Vec::new();
    let mut files = BTreeMap::new();
    for entry in entries {
        let path = match clean_path(&entry.path) {
            Ok(path) => path,
            Err(why) => {
                problems.push(ArchiveProblem::new(shown(&entry.path), why));
                continue;
            }
        };
        match entry.kind {
            Kind::Other(what) => problems.push(ArchiveProblem::new(
                shown(&entry.path),
                format!("is {what}: only files and folders are taken"),
            )),
            Kind::Folder => {}
            Kind::File if is_litter(&path) || path.is_empty() => {}
            Kind::File => {
                if files.insert(path.clone(), entry.data).is_some() {
                    problems.push(ArchiveProblem::new(path, "appears twice"));
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    the_bundle(files)
}

/// `files` (paths in the bundle) as a `.tar.gz` with every path under `folder`.
pub fn write_tar_gz(folder: &str, files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<Vec<u8>> {
    tar_gz::write(folder, files)
}

#[cfg(test)]
mod tests;
