//! `multipart/form-data` bodies, the way a form with a file input sends them, read from a body
//! [`crate::inputs::InputGuard`] has already read within its limit. Small and strict: every part
//! needs a `Content-Disposition: form-data` with a name; text fields must be UTF-8.

use crate::inputs::NotText;
use poem::Request;
use poem::http::header;

/// One part of a multipart form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The field's name.
    pub name: String,
    /// The file name the browser gave, for a file input.
    pub filename: Option<String>,
    /// The content.
    pub data: Vec<u8>,
}

impl Part {
    /// The content as text (a field that is not a file).
    pub fn text(&self) -> Result<String, NotText> {
        String::from_utf8(self.data.clone()).map_err(|_| NotText)
    }
}

/// The boundary of a request whose body is `multipart/form-data`, if it is.
pub fn boundary(req: &Request) -> Option<String> {
    let value = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let mut parts = value.split(';');
    if !parts
        .next()?
        .trim()
        .eq_ignore_ascii_case("multipart/form-data")
    {
        return None;
    }
    parts.find_map(|p| {
        let (key, value) = p.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 70)
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// A parameter (`name="x"`) of a `Content-Disposition` value.
fn parameter(disposition: &str, key: &str) -> Option<String> {
    disposition.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// The parts of `body` separated by `boundary`; `Err` when it is not a well-formed form.
pub fn parts(body: &[u8], boundary: &str) -> Result<Vec<Part>, NotText> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut at = find(body, &delimiter, 0).ok_or(NotText)? + delimiter.len();
    let mut found = Vec::new();
    loop {
        // After a delimiter: `--` ends the form, a line break starts a part.
        match body.get(at..at + 2) {
            Some(b"--") => return Ok(found),
            Some(b"\r\n") => at += 2,
            _ => return Err(NotText),
        }
        let head_end = find(body, b"\r\n\r\n", at).ok_or(NotText)?;
        let head = std::str::from_utf8(&body[at..head_end]).map_err(|_| NotText)?;
        let disposition = head
            .split("\r\n")
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("content-disposition")
                    .then(|| value.trim().to_owned())
            })
            .ok_or(NotText)?;
        let name = parameter(&disposition, "name").ok_or(NotText)?;
        let filename = parameter(&disposition, "filename");
        let start = head_end + 4;
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let end = find(body, &closing, start).ok_or(NotText)?;
        found.push(Part {
            name,
            filename,
            data: body[start..end].to_vec(),
        });
        at = end + closing.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_with_a_file_reads_part_by_part() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"bundel\"; filename=\"a.zip\"\r\n\
Content-Type: application/zip\r\n\r\nPK\x03\x04\r\n--\x00\r\n--XyZ--\r\n";
        let found = parts(body, "XyZ").unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].name, "csrf");
        assert_eq!(found[0].text().unwrap(), "abc");
        assert_eq!(found[1].filename.as_deref(), Some("a.zip"));
        assert_eq!(found[1].data, b"PK\x03\x04\r\n--\x00");
    }

    #[test]
    fn a_broken_form_is_refused() {
        assert!(parts(b"no boundary here", "XyZ").is_err());
        assert!(
            parts(
                b"--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--",
                "XyZ"
            )
            .is_err()
        );
        assert!(
            parts(
                b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated",
                "XyZ"
            )
            .is_err()
        );
    }
}
