//! `.tar.gz` bundles: read through `tar` over a gzip stream inflated within the limits, and
//! written the same way for the console's download.

use super::{ArchiveProblem, Budget, Entry, Kind, MAX_TOTAL};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use std::collections::BTreeMap;
use std::io::Read;
use tar::EntryType;

/// The most of the inflated stream read: the files' limit and room for the headers of
/// [`super::MAX_ENTRIES`] entries. Entries that are not read (a link) are skipped by reading
/// through them, and this bounds that too.
const STREAM_MAX: u64 = MAX_TOTAL + 1024 * 1024;

fn kind_of(kind: EntryType) -> Option<Kind> {
    Some(match kind {
        EntryType::Regular | EntryType::Continuous => Kind::File,
        EntryType::Directory => Kind::Folder,
        // Extended headers the reader applies to the entry after them, or that say nothing of
        // any file.
        EntryType::XGlobalHeader => return None,
        EntryType::Symlink => Kind::Other("a symbolic link"),
        EntryType::Link => Kind::Other("a hard link"),
        _ => Kind::Other("a special file"),
    })
}

fn unreadable(e: &std::io::Error) -> ArchiveProblem {
    ArchiveProblem::new("", format!("is not a readable .tar.gz file: {e}"))
}

/// Every entry of the `.tar.gz` in `bytes`, files read within `budget`.
pub(super) fn entries(bytes: &[u8], budget: &mut Budget) -> Result<Vec<Entry>, ArchiveProblem> {
    let stream = GzDecoder::new(bytes).take(STREAM_MAX);
    let mut archive = tar::Archive::new(stream);
    let mut found = Vec::new();
    for entry in archive.entries().map_err(|e| unreadable(&e))? {
        let entry = entry.map_err(|e| unreadable(&e))?;
        // Every entry counts, the skipped ones too: a crowd of them is no way past the limit.
        budget.entry()?;
        let Some(kind) = kind_of(entry.header().entry_type()) else {
            continue;
        };
        let path = entry.path_bytes().into_owned();
        let data = match kind {
            Kind::File => budget.read(&path, entry)?,
            _ => Vec::new(),
        };
        found.push(Entry { path, kind, data });
    }
    // To the end of the gzip stream, within the limit: its checksum is checked there, and a
    // stream the limit cut (which tar may read as an early end) is refused, never shortened.
    let mut rest = archive.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(|e| unreadable(&e))?;
    if rest.limit() == 0 {
        return Err(ArchiveProblem::new(
            "",
            format!("is larger than {} MiB unpacked", STREAM_MAX / (1024 * 1024)),
        ));
    }
    Ok(found)
}

/// `files` as a `.tar.gz`, each under `folder` (which ends in `/`), as plain files readable by
/// all, dated at the epoch so that the same gemeente gives the same archive.
pub(super) fn write(folder: &str, files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    for (name, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(EntryType::Regular);
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        builder.append_data(&mut header, format!("{folder}{name}"), data.as_slice())?;
    }
    builder.into_inner()?.finish()
}
