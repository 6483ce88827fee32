//! A small `.zip` reader: the central directory, stored and deflated entries, nothing else
//! (no zip64, no encryption, no multi-disk archives: a bundle is a few small files). Written
//! here rather than taken from a crate because the few formats it takes keep it short, and it
//! reads every size by inflating, never from the headers.

use super::{ArchiveProblem, Budget, Entry, Kind};
use flate2::read::DeflateDecoder;

const END_OF_DIRECTORY: &[u8] = b"PK\x05\x06";
const DIRECTORY_ENTRY: &[u8] = b"PK\x01\x02";
const LOCAL_HEADER: &[u8] = b"PK\x03\x04";

fn damaged(why: &str) -> ArchiveProblem {
    ArchiveProblem::new("", format!("is not a readable zip file: {why}"))
}

fn u16_at(bytes: &[u8], at: usize) -> Result<u16, ArchiveProblem> {
    bytes
        .get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| damaged("it ends early"))
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, ArchiveProblem> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| damaged("it ends early"))
}

/// Where the end-of-central-directory record starts: searched from the end, past a comment of
/// at most 64 KiB.
fn end_record(bytes: &[u8]) -> Result<usize, ArchiveProblem> {
    let earliest = bytes.len().saturating_sub(22 + usize::from(u16::MAX));
    (earliest..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&at| bytes[at..].starts_with(END_OF_DIRECTORY))
        .ok_or_else(|| damaged("no central directory"))
}

/// What an entry is, from its name and (when made on Unix) its mode.
fn kind_of(name: &[u8], made_by: u16, external: u32) -> Kind {
    const UNIX: u16 = 3;
    if made_by >> 8 == UNIX {
        match (external >> 16) & 0o170_000 {
            0o120_000 => return Kind::Other("a symbolic link"),
            0o040_000 => return Kind::Folder,
            0o100_000 | 0 => {}
            _ => return Kind::Other("a special file"),
        }
    }
    if name.ends_with(b"/") {
        Kind::Folder
    } else {
        Kind::File
    }
}

/// Every entry of the zip in `bytes`, files read within `budget`.
pub(super) fn entries(bytes: &[u8], budget: &mut Budget) -> Result<Vec<Entry>, ArchiveProblem> {
    let end = end_record(bytes)?;
    let count = usize::from(u16_at(bytes, end + 10)?);
    let mut at = u32_at(bytes, end + 16)? as usize;
    let mut found = Vec::new();
    for _ in 0..count {
        budget.entry()?;
        if !bytes
            .get(at..)
            .is_some_and(|b| b.starts_with(DIRECTORY_ENTRY))
        {
            return Err(damaged("a damaged central directory"));
        }
        let made_by = u16_at(bytes, at + 4)?;
        let flags = u16_at(bytes, at + 8)?;
        let method = u16_at(bytes, at + 10)?;
        let crc = u32_at(bytes, at + 16)?;
        let compressed = u32_at(bytes, at + 20)? as usize;
        let name_len = usize::from(u16_at(bytes, at + 28)?);
        let extra_len = usize::from(u16_at(bytes, at + 30)?);
        let comment_len = usize::from(u16_at(bytes, at + 32)?);
        let external = u32_at(bytes, at + 38)?;
        let local = u32_at(bytes, at + 42)? as usize;
        let name = bytes
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(|| damaged("it ends early"))?
            .to_vec();
        at += 46 + name_len + extra_len + comment_len;
        let kind = kind_of(&name, made_by, external);
        if kind != Kind::File {
            found.push(Entry {
                path: name,
                kind,
                data: Vec::new(),
            });
            continue;
        }
        let shown = super::shown(&name);
        if flags & 1 != 0 {
            return Err(ArchiveProblem::new(shown, "is encrypted"));
        }
        if !bytes
            .get(local..)
            .is_some_and(|b| b.starts_with(LOCAL_HEADER))
        {
            return Err(damaged("a file's header is missing"));
        }
        let start = local
            + 30
            + usize::from(u16_at(bytes, local + 26)?)
            + usize::from(u16_at(bytes, local + 28)?);
        let content = bytes
            .get(start..start.saturating_add(compressed))
            .ok_or_else(|| ArchiveProblem::new(shown.clone(), "ends early"))?;
        let data = match method {
            0 => budget.read(&name, content)?,
            8 => budget.read(&name, DeflateDecoder::new(content))?,
            other => {
                return Err(ArchiveProblem::new(
                    shown,
                    format!("is compressed with method {other}: only stored and deflate are read"),
                ));
            }
        };
        if crc32fast::hash(&data) != crc {
            return Err(ArchiveProblem::new(
                shown,
                "is damaged (its checksum differs)",
            ));
        }
        found.push(Entry {
            path: name,
            kind,
            data,
        });
    }
    Ok(found)
}
