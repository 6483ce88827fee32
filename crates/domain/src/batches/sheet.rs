//! The spreadsheet of a letter batch: its recipients read into rows to issue, every row checked
//! before anything is issued and every problem named with its line.
//!
//! The sheet is CSV as spreadsheet programs write it: UTF-8 with or without a byte-order mark,
//! `;` (what Dutch Excel writes) or `,` between fields, decided by the header line; fields may be
//! quoted with `"`, a quote inside doubled, and a quoted field may hold the separator and line
//! breaks. The header names the columns, in any order, in Dutch or in English:
//!
//! | column | also | required |
//! |---|---|---|
//! | `naam` | `name` | yes |
//! | `straat` | `street` | yes |
//! | `huisnummer` | `house_number` | yes |
//! | `postcode` | | yes |
//! | `plaats` | `city` | yes |
//! | `email` | `e-mail` | no: with it, the coupling mail goes too |
//! | `taal` | `language` | no: `nl` or `en` |
//! | `producttype` | `product_type` | no |
//! | `zone` | | no |
//! | `geldig_tot` | `valid_until` | no: `2027-12-31` or `31-12-2027` |
//! | `kentekens` | `plates` | no: separated by spaces or commas, a foreign one as `DE:B-XY123` |
//! | `saldo` | `balance` | no: `25,00` or `25.00` euros, `600` minutes |

use crate::email::EmailAddress;
use crate::letters::{Recipient, RecipientField, RecipientInput};
use crate::plate::Plate;
use crate::tenant::Language;
use chrono::NaiveDate;

/// The most rows one batch takes.
pub const MAX_ROWS: usize = 5_000;

/// A column of the sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// `naam`
    Name,
    /// `straat`
    Street,
    /// `huisnummer`
    HouseNumber,
    /// `postcode`
    Postcode,
    /// `plaats`
    City,
    /// `email`
    Email,
    /// `taal`
    Language,
    /// `producttype`
    ProductType,
    /// `zone`
    Zone,
    /// `geldig_tot`
    ValidUntil,
    /// `kentekens`
    Plates,
    /// `saldo`
    Balance,
}

impl Column {
    /// Every column, in the order of the sample sheet.
    pub const ALL: [Column; 12] = [
        Self::Name,
        Self::Street,
        Self::HouseNumber,
        Self::Postcode,
        Self::City,
        Self::Email,
        Self::Language,
        Self::ProductType,
        Self::Zone,
        Self::ValidUntil,
        Self::Plates,
        Self::Balance,
    ];

    /// The Dutch name, as the sample sheet writes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Name => "naam",
            Self::Street => "straat",
            Self::HouseNumber => "huisnummer",
            Self::Postcode => "postcode",
            Self::City => "plaats",
            Self::Email => "email",
            Self::Language => "taal",
            Self::ProductType => "producttype",
            Self::Zone => "zone",
            Self::ValidUntil => "geldig_tot",
            Self::Plates => "kentekens",
            Self::Balance => "saldo",
        }
    }

    /// The English name, for systems that write English headers.
    pub fn english(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Street => "street",
            Self::HouseNumber => "house_number",
            Self::Postcode => "postcode",
            Self::City => "city",
            Self::Email => "e-mail",
            Self::Language => "language",
            Self::ProductType => "product_type",
            Self::Zone => "zone",
            Self::ValidUntil => "valid_until",
            Self::Plates => "plates",
            Self::Balance => "balance",
        }
    }

    /// The code of a field of this column that is wrong: in English, as the admin API's codes
    /// are, and the very code single issuing gives where it has one (`email_invalid`,
    /// `plate_invalid`, `balance_invalid`, ...).
    pub fn invalid_code(self) -> &'static str {
        match self {
            Self::Name => "name_invalid",
            Self::Street => "street_invalid",
            Self::HouseNumber => "house_number_invalid",
            Self::Postcode => "postcode_invalid",
            Self::City => "city_invalid",
            Self::Email => "email_invalid",
            Self::Language => "language_invalid",
            Self::ProductType => "product_type_invalid",
            Self::Zone => "zone_invalid",
            Self::ValidUntil => "valid_until_invalid",
            Self::Plates => "plate_invalid",
            Self::Balance => "balance_invalid",
        }
    }

    /// Whether every row must fill it.
    pub fn required(self) -> bool {
        matches!(
            self,
            Self::Name | Self::Street | Self::HouseNumber | Self::Postcode | Self::City
        )
    }

    /// The column a header cell names (trimmed, any case).
    fn of_header(cell: &str) -> Option<Self> {
        let cell = cell.trim().to_lowercase();
        Self::ALL
            .into_iter()
            .find(|c| c.name() == cell || c.english() == cell)
    }

    fn of_field(field: RecipientField) -> Self {
        match field {
            RecipientField::Name => Self::Name,
            RecipientField::Street => Self::Street,
            RecipientField::HouseNumber => Self::HouseNumber,
            RecipientField::Postcode => Self::Postcode,
            RecipientField::City => Self::City,
        }
    }
}

/// What is wrong, with a stable code: the console and the API translate it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The line of the sheet (1 is the header).
    pub line: usize,
    /// The column, when the problem is one field's.
    pub column: Option<Column>,
    /// `empty`, `not_utf8`, `too_many_rows`, `quote_unclosed`, `column_unknown`,
    /// `column_twice`, `column_missing`, `field_count`, or the column's [`Column::invalid_code`].
    pub code: String,
}

impl Problem {
    fn sheet(line: usize, code: &str) -> Self {
        Self {
            line,
            column: None,
            code: code.to_owned(),
        }
    }

    fn field(line: usize, column: Column) -> Self {
        Self {
            line,
            column: Some(column),
            code: column.invalid_code().to_owned(),
        }
    }
}

/// One row, checked: what to issue, before the gemeente's types and zones are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Its line in the sheet.
    pub line: usize,
    /// Who the letter goes to.
    pub recipient: Recipient,
    /// Where the coupling mail goes, if anywhere.
    pub email: Option<EmailAddress>,
    /// The letter's language.
    pub language: Option<Language>,
    /// The product type's code.
    pub product_type: Option<String>,
    /// The zone's code.
    pub zone: Option<String>,
    /// The last valid day.
    pub valid_until: Option<NaiveDate>,
    /// The plates, each once.
    pub plates: Vec<Plate>,
    /// The opening balance in the type's unit.
    pub balance: Option<rust_decimal::Decimal>,
}

/// The records of `text` split by `separator`, each with the line it starts on; an unclosed
/// quote is a problem at the line it opened.
fn records(text: &str, separator: char) -> Result<Vec<(usize, Vec<String>)>, Problem> {
    let mut out = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let (mut line, mut start, mut quoted, mut quote_line) = (1, 1, false, 1);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' if quoted => quoted = false,
            '"' if field.is_empty() => {
                quoted = true;
                quote_line = line;
            }
            '\n' if quoted => {
                field.push('\n');
                line += 1;
            }
            '\r' if !quoted && chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                out.push((start, std::mem::take(&mut record)));
                line += 1;
                start = line;
            }
            c if c == separator && !quoted => record.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    if quoted {
        return Err(Problem::sheet(quote_line, "quote_unclosed"));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        out.push((start, record));
    }
    // Lines with nothing in them (a trailing empty line, a spreadsheet's blank rows) are no rows.
    out.retain(|(_, r)| r.iter().any(|f| !f.trim().is_empty()));
    Ok(out)
}

/// The separator of a sheet whose header line is `header`: `;` when it has one, else `,`.
fn separator_of(header: &str) -> char {
    if header.contains(';') { ';' } else { ',' }
}

/// A day as `2027-12-31` or `31-12-2027`.
fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d-%m-%Y"))
        .ok()
}

/// A decimal as `25,00` or `25.00`.
fn decimal(s: &str) -> Option<rust_decimal::Decimal> {
    s.replace(',', ".").parse().ok()
}

/// Reads and checks a whole sheet: its rows, or every problem in it.
pub fn read(bytes: &[u8]) -> Result<Vec<Row>, Vec<Problem>> {
    let (rows, problems) = read_rows(bytes)?;
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// Reads a sheet row by row: the rows that read well and the problems of those that do not,
/// so that a caller checking the good rows further can name every problem at once; `Err` when
/// the sheet as a whole cannot be read (its encoding, its header, its size).
pub fn read_rows(bytes: &[u8]) -> Result<(Vec<Row>, Vec<Problem>), Vec<Problem>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        // The line of the first byte that is not UTF-8.
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        vec![Problem::sheet(line, "not_utf8")]
    })?;
    let header_line = text.lines().next().unwrap_or_default();
    let records = records(text, separator_of(header_line)).map_err(|p| vec![p])?;
    let Some(((_, header), rows)) = records.split_first() else {
        return Err(vec![Problem::sheet(1, "empty")]);
    };
    if rows.is_empty() {
        return Err(vec![Problem::sheet(2, "empty")]);
    }
    if rows.len() > MAX_ROWS {
        return Err(vec![Problem::sheet(MAX_ROWS + 2, "too_many_rows")]);
    }
    let mut problems = Vec::new();
    let mut columns: Vec<Option<Column>> = Vec::with_capacity(header.len());
    for cell in header {
        let column = Column::of_header(cell);
        match column {
            None if cell.trim().is_empty() => {}
            None => problems.push(Problem::sheet(1, "column_unknown")),
            Some(c) if columns.contains(&Some(c)) => problems.push(Problem {
                line: 1,
                column: Some(c),
                code: "column_twice".to_owned(),
            }),
            Some(_) => {}
        }
        columns.push(column);
    }
    for required in Column::ALL.into_iter().filter(|c| c.required()) {
        if !columns.contains(&Some(required)) {
            problems.push(Problem {
                line: 1,
                column: Some(required),
                code: "column_missing".to_owned(),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut out = Vec::with_capacity(rows.len());
    for (line, fields) in rows {
        if fields.len() > columns.len() {
            problems.push(Problem::sheet(*line, "field_count"));
            continue;
        }
        let cell = |c: Column| -> &str {
            columns
                .iter()
                .position(|k| *k == Some(c))
                .and_then(|i| fields.get(i))
                .map_or("", |f| f.trim())
        };
        match row(*line, &cell) {
            Ok(r) => out.push(r),
            Err(mut p) => problems.append(&mut p),
        }
    }
    Ok((out, problems))
}

/// One row from its cells, or the problem of each field that is wrong.
fn row<'a>(line: usize, cell: &dyn Fn(Column) -> &'a str) -> Result<Row, Vec<Problem>> {
    let mut problems = Vec::new();
    let recipient = Recipient::parse(&RecipientInput {
        name: cell(Column::Name),
        street: cell(Column::Street),
        house_number: cell(Column::HouseNumber),
        postcode: cell(Column::Postcode),
        city: cell(Column::City),
    })
    .map_err(|wrong| {
        problems.extend(
            wrong
                .into_iter()
                .map(|f| Problem::field(line, Column::of_field(f))),
        );
    })
    .ok();
    let optional = |c: Column| Some(cell(c)).filter(|s| !s.is_empty());
    let mut check = |c: Column, ok: bool| {
        if !ok {
            problems.push(Problem::field(line, c));
        }
    };
    let email = optional(Column::Email).map(EmailAddress::parse);
    check(Column::Email, !matches!(email, Some(Err(_))));
    let language = optional(Column::Language).map(Language::parse);
    check(Column::Language, !matches!(language, Some(Err(_))));
    let valid_until = optional(Column::ValidUntil).map(day);
    check(Column::ValidUntil, !matches!(valid_until, Some(None)));
    let balance = optional(Column::Balance).map(decimal);
    check(Column::Balance, !matches!(balance, Some(None)));
    let plates = Plate::parse_list(&cell(Column::Plates).replace(char::is_whitespace, ","));
    check(Column::Plates, plates.is_ok());
    let mut unique: Vec<Plate> = Vec::new();
    for plate in plates.unwrap_or_default() {
        if !unique.contains(&plate) {
            unique.push(plate);
        }
    }
    match recipient {
        Some(recipient) if problems.is_empty() => Ok(Row {
            line,
            recipient,
            email: email.and_then(Result::ok),
            language: language.and_then(Result::ok),
            product_type: optional(Column::ProductType).map(str::to_owned),
            zone: optional(Column::Zone).map(str::to_owned),
            valid_until: valid_until.flatten(),
            plates: unique,
            balance: balance.flatten(),
        }),
        _ => Err(problems),
    }
}

/// The sample sheet the console offers: the header and two rows, `;`-separated with a
/// byte-order mark, as Dutch spreadsheet programs open it.
pub fn sample() -> String {
    let header: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
    format!(
        "\u{FEFF}{}\r\n\
         J. de Vries;Kerkstraat;12 A;1234 AB;Dijkstad;;nl;;;;;\r\n\
         \"Jansen, P.\";Dorpsweg;3;1235 CD;Dijkstad;p.jansen@example.nl;en;;;31-12-2027;AB-12-34;25,00\r\n",
        header.join(";")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(problems: &[Problem]) -> Vec<(usize, &str)> {
        problems.iter().map(|p| (p.line, p.code.as_str())).collect()
    }

    #[test]
    fn the_sample_reads_as_two_rows() {
        let rows = read(sample().as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].recipient.house_number, "12 A");
        assert_eq!(rows[1].recipient.name, "Jansen, P.");
        assert_eq!(rows[1].valid_until, NaiveDate::from_ymd_opt(2027, 12, 31));
        assert_eq!(rows[1].balance, Some(rust_decimal::Decimal::new(2500, 2)));
        assert_eq!(rows[1].plates.len(), 1);
        assert_eq!(rows[1].language, Some(Language::En));
    }

    #[test]
    fn commas_quotes_english_headers_and_line_breaks_in_a_field() {
        let sheet = "Name,Street,House_Number,Postcode,City,Plates\n\
                     \"de Vries, J.\",\"Kerk\"\"straat\",12,1234ab,Dijkstad,\"AB-12-34, ab1234\"\n\
                     \"Multi\nline\",Weg,1,1234 AB,Dijkstad,\n";
        let rows = read(sheet.as_bytes()).unwrap_err();
        // The name with a line break cannot be printed: named at the line it starts on.
        assert_eq!(codes(&rows), [(3, "name_invalid")]);
        let sheet = sheet.replace("\"Multi\nline\"", "Anna");
        let rows = read(sheet.as_bytes()).unwrap();
        assert_eq!(rows[0].recipient.name, "de Vries, J.");
        assert_eq!(rows[0].recipient.street, "Kerk\"straat");
        assert_eq!(rows[0].plates.len(), 1, "the same plate twice is one");
    }

    #[test]
    fn every_problem_is_named_with_its_line_and_nothing_is_read() {
        let sheet = "naam;straat;huisnummer;postcode;plaats;email;geldig_tot;saldo\r\n\
                     J. de Vries;Kerkstraat;12;1234 AB;Dijkstad;;;\r\n\
                     ;Kerkstraat;12;0123 AB;Dijkstad;geen;gisteren;twee\r\n\
                     \r\n\
                     P. Jansen;Dorpsweg;3;1235 CD;Dijkstad;;;;;extra\r\n";
        let problems = read(sheet.as_bytes()).unwrap_err();
        assert_eq!(
            codes(&problems),
            [
                (3, "name_invalid"),
                (3, "postcode_invalid"),
                (3, "email_invalid"),
                (3, "valid_until_invalid"),
                (3, "balance_invalid"),
                (5, "field_count"),
            ]
        );
    }

    #[test]
    fn the_sheet_itself_can_be_wrong() {
        assert_eq!(codes(&read(b"").unwrap_err()), [(1, "empty")]);
        assert_eq!(
            codes(&read(b"naam;straat;huisnummer;postcode;plaats\n").unwrap_err()),
            [(2, "empty")]
        );
        assert_eq!(
            codes(
                &read(b"naam;straat;huisnummer;postcode;plaats\nJ;K;1;1234 AB;\"D\n").unwrap_err()
            ),
            [(2, "quote_unclosed")]
        );
        let problems = read(b"naam;straat;kleur;naam\nJ;K;rood;J\n").unwrap_err();
        assert_eq!(
            codes(&problems),
            [
                (1, "column_unknown"),
                (1, "column_twice"),
                (1, "column_missing"),
                (1, "column_missing"),
                (1, "column_missing"),
            ]
        );
        let mut bad = b"naam;straat;huisnummer;postcode;plaats\nJ;K;1;1234 AB;D\n".to_vec();
        bad.extend_from_slice(b"J;K;1;1234 AB;\xFF\n");
        assert_eq!(codes(&read(&bad).unwrap_err()), [(3, "not_utf8")]);
        let mut many = String::from("naam;straat;huisnummer;postcode;plaats\n");
        for _ in 0..=MAX_ROWS {
            many.push_str("J;K;1;1234 AB;D\n");
        }
        assert_eq!(
            codes(&read(many.as_bytes()).unwrap_err()),
            [(MAX_ROWS + 2, "too_many_rows")]
        );
    }

    #[test]
    fn a_byte_order_mark_is_no_part_of_the_first_column() {
        let sheet = "\u{FEFF}naam,straat,huisnummer,postcode,plaats\nJ,K,1,1234 AB,D\n";
        assert_eq!(read(sheet.as_bytes()).unwrap().len(), 1);
    }
}
