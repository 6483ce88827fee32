//! CSV files as Dutch spreadsheet programs open them: a byte-order mark (so Excel reads UTF-8),
//! `;` between fields, CRLF at the end of each line, and no field a spreadsheet would run as a
//! formula. The audit log's export and a letter batch's report are written so.

use poem::Response;
use poem::http::header;

/// A CSV file being written.
#[derive(Debug, Clone)]
pub struct Csv(String);

impl Default for Csv {
    fn default() -> Self {
        Self::new()
    }
}

impl Csv {
    /// An empty file: only its byte-order mark.
    pub fn new() -> Self {
        Self(String::from("\u{feff}"))
    }

    /// Adds a line of `fields`.
    pub fn line<S: AsRef<str>>(&mut self, fields: impl IntoIterator<Item = S>) {
        let line: Vec<String> = fields.into_iter().map(|f| field(f.as_ref())).collect();
        self.0.push_str(&line.join(";"));
        self.0.push_str("\r\n");
    }

    /// The file as a download named `name` that no cache keeps (it holds personal data).
    pub fn download(self, name: &str) -> Response {
        Response::builder()
            .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
            .header(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            )
            .header(header::CACHE_CONTROL, "no-store")
            .body(self.0)
    }

    /// The file's text.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// One CSV field: quoted when it holds the separator, a quote or a line break; a field a
/// spreadsheet would run as a formula (`=`, `+`, `-`, `@`) starts with a quote mark instead.
pub fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_never_formulas() {
        assert_eq!(field("an@dijkstad.nl"), "an@dijkstad.nl");
        assert_eq!(field("a;b"), "\"a;b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("@SUM"), "'@SUM");
    }

    #[test]
    fn a_file_starts_with_its_mark_and_ends_each_line_with_crlf() {
        let mut csv = Csv::new();
        csv.line(["regel", "naam"]);
        csv.line(["2", "Jansen; P."]);
        assert_eq!(
            csv.into_string(),
            "\u{feff}regel;naam\r\n2;\"Jansen; P.\"\r\n"
        );
    }
}
