//! Archives made in tests, hostile ones included: zips written byte by byte (stored or
//! deflated, with a Unix mode when asked, so that a link can be one), a zip bomb, and
//! `.tar.gz` files with links. Shared by the black-box tests and the archive reader's unit
//! tests (`src/archive/tests.rs`).

#![allow(dead_code)]

use flate2::Compression;
use flate2::write::{DeflateEncoder, GzEncoder};
use std::io::Write;

/// One entry of a zip to write.
pub struct ZipEntry<'a> {
    /// Its path in the archive.
    pub name: &'a str,
    /// Its content.
    pub data: &'a [u8],
    /// Deflated, or else stored.
    pub deflate: bool,
    /// A Unix mode (`0o120777` makes a symbolic link), or none.
    pub unix_mode: Option<u32>,
}

impl<'a> ZipEntry<'a> {
    /// A deflated regular file.
    pub fn file(name: &'a str, data: &'a [u8]) -> Self {
        Self {
            name,
            data,
            deflate: true,
            unix_mode: None,
        }
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// A zip of `entries`, each with its compressed content and honest sizes.
pub fn zip(entries: &[ZipEntry<'_>]) -> Vec<u8> {
    let parts: Vec<(Vec<u8>, u32, u32)> = entries
        .iter()
        .map(|e| {
            let content = if e.deflate {
                deflate(e.data)
            } else {
                e.data.to_vec()
            };
            (content, crc32fast::hash(e.data), e.data.len() as u32)
        })
        .collect();
    raw_zip(entries, &parts)
}

/// A zip whose entry `name` inflates to `size` zero bytes from a few kilobytes.
pub fn zip_bomb(name: &str, size: usize) -> Vec<u8> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    let mut crc = crc32fast::Hasher::new();
    for _ in 0..size / zeros.len() {
        encoder.write_all(&zeros).unwrap();
        crc.update(&zeros);
    }
    let content = encoder.finish().unwrap();
    let entry = ZipEntry {
        name,
        data: &[],
        deflate: true,
        unix_mode: None,
    };
    raw_zip(&[entry], &[(content, crc.finalize(), size as u32)])
}

fn raw_zip(entries: &[ZipEntry<'_>], parts: &[(Vec<u8>, u32, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for (e, (content, crc, size)) in entries.iter().zip(parts) {
        let offset = out.len() as u32;
        let method: u16 = if e.deflate { 8 } else { 0 };
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&method.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(content.len() as u32).to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(content);
        let made_by: u16 = if e.unix_mode.is_some() {
            3 << 8 | 20
        } else {
            20
        };
        directory.extend_from_slice(b"PK\x01\x02");
        directory.extend_from_slice(&made_by.to_le_bytes());
        directory.extend_from_slice(&20u16.to_le_bytes());
        directory.extend_from_slice(&0u16.to_le_bytes());
        directory.extend_from_slice(&method.to_le_bytes());
        directory.extend_from_slice(&[0; 4]);
        directory.extend_from_slice(&crc.to_le_bytes());
        directory.extend_from_slice(&(content.len() as u32).to_le_bytes());
        directory.extend_from_slice(&size.to_le_bytes());
        directory.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        directory.extend_from_slice(&[0; 8]);
        directory.extend_from_slice(&(e.unix_mode.unwrap_or(0) << 16).to_le_bytes());
        directory.extend_from_slice(&offset.to_le_bytes());
        directory.extend_from_slice(e.name.as_bytes());
    }
    let start = out.len() as u32;
    out.extend_from_slice(&directory);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(directory.len() as u32).to_le_bytes());
    out.extend_from_slice(&start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A `.tar.gz` of `files`, and of a symbolic link `(name, target)` when given.
pub fn tar_gz(files: &[(&str, &[u8])], link: Option<(&str, &str)>) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    for (name, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, name, *data).unwrap();
    }
    if let Some((name, target)) = link {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        header.set_mode(0o777);
        builder.append_link(&mut header, name, target).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}
