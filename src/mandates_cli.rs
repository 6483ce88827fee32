//! `parkportal mandates import FILE.csv`: mandates of the previous system (the ParkApp), with the
//! columns `tenant,product_code,email,plate,accepted`. Every row is checked first and nothing is
//! stored while any row does not fit; each problem names its line.

use crate::config::Config;
use parkportal_domain::EmailAddress;
use parkportal_domain::mandates::{ImportProblem, ImportRow};
use parkportal_domain::plate::{Country, Plate};
use std::path::Path;
use std::process::ExitCode;

/// The header the file must start with.
const HEADER: [&str; 5] = ["tenant", "product_code", "email", "plate", "accepted"];

/// The fields of one CSV line: separated by commas, a field in double quotes may hold commas
/// and doubled quotes.
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    out.push(field);
    out.into_iter().map(|f| f.trim().to_owned()).collect()
}

/// A yes or no as the previous system wrote it.
fn yes_no(s: &str) -> Option<bool> {
    match s.to_lowercase().as_str() {
        "true" | "1" | "yes" | "ja" | "j" | "y" => Some(true),
        "false" | "0" | "no" | "nee" | "n" | "" => Some(false),
        _ => None,
    }
}

/// A plate: `AB-12-34` (Dutch) or `DE:M AB 123` (with its country).
fn plate(s: &str) -> Result<Option<Plate>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    let (country, text) = match s.split_once(':') {
        Some((c, t)) => (
            Country::parse(c).map_err(|_| format!("{c:?} is not a country code"))?,
            t,
        ),
        None => (Country::NL, s),
    };
    Plate::parse(text, country)
        .map(Some)
        .map_err(|_| format!("{s:?} is not a plate"))
}

/// The rows of `text`, or every problem with its line.
pub fn parse(text: &str) -> Result<Vec<ImportRow>, Vec<ImportProblem>> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let header = lines
        .by_ref()
        .find(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| (n, fields(l.trim_start_matches('\u{feff}'))));
    match header {
        Some((_, h)) if h.iter().map(|f| f.to_lowercase()).eq(HEADER) => {}
        Some((n, _)) => {
            return Err(vec![ImportProblem {
                line: n,
                problem: format!("the header must be {}", HEADER.join(",")),
            }]);
        }
        None => {
            return Err(vec![ImportProblem {
                line: 1,
                problem: "the file is empty".into(),
            }]);
        }
    }
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (line, text) in lines.filter(|(_, l)| !l.trim().is_empty()) {
        let f = fields(text);
        let problem = |p: String| ImportProblem { line, problem: p };
        if f.len() != HEADER.len() {
            problems.push(problem(format!("{} fields, not {}", f.len(), HEADER.len())));
            continue;
        }
        let email = match EmailAddress::parse(&f[2]) {
            Ok(e) => e,
            Err(_) => {
                problems.push(problem(format!("{:?} is not an e-mail address", f[2])));
                continue;
            }
        };
        let plate = match plate(&f[3]) {
            Ok(p) => p,
            Err(e) => {
                problems.push(problem(e));
                continue;
            }
        };
        let Some(accepted) = yes_no(&f[4]) else {
            problems.push(problem(format!(
                "accepted is {:?}, not true or false",
                f[4]
            )));
            continue;
        };
        if f[0].is_empty() || f[1].is_empty() {
            problems.push(problem("tenant and product_code are required".into()));
            continue;
        }
        rows.push(ImportRow {
            line,
            tenant: f[0].clone(),
            product_code: f[1].clone(),
            email,
            plate,
            accepted,
        });
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// `parkportal mandates import FILE.csv`.
pub async fn import(config: &Config, file: &Path) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {}: {e}", file.display());
            return ExitCode::FAILURE;
        }
    };
    let rows = match parse(&text) {
        Ok(rows) => rows,
        Err(problems) => return report(file, &problems),
    };
    let services = match crate::products_cli::open_services(config).await {
        Ok(s) => s,
        Err(e) => return crate::cli::fail(&e),
    };
    match services.mandates.import(rows).await {
        Ok(Ok(done)) => {
            println!(
                "imported {} mandates: {} accepted, {} invited (an invitation mail is queued)",
                done.accepted + done.invited,
                done.accepted,
                done.invited
            );
            ExitCode::SUCCESS
        }
        Ok(Err(problems)) => report(file, &problems),
        Err(e) => crate::cli::fail(&e),
    }
}

fn report(file: &Path, problems: &[ImportProblem]) -> ExitCode {
    for p in problems {
        eprintln!("{}:{}: {}", file.display(), p.line, p.problem);
    }
    eprintln!("nothing was imported");
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_parse_and_every_bad_line_is_named() {
        let text = "tenant,product_code,email,plate,accepted\n\
                    dijkstad,ABCD-EFGH,\"piet@example.nl\",12-GBD-3,true\n\
                    \n\
                    dijkstad,ABCD-EFGH,kees@example.nl,,nee\n";
        let rows = parse(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].line, 4);
        assert!(rows[0].accepted && !rows[1].accepted);
        assert_eq!(rows[1].plate, None);

        let bad = "tenant,product_code,email,plate,accepted\n\
                   dijkstad,X,geen-adres,,true\n\
                   dijkstad,X,a@example.nl,XX,true\n\
                   dijkstad,X,a@example.nl,,misschien\n\
                   dijkstad,X\n";
        let lines: Vec<usize> = parse(bad).unwrap_err().iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 3, 4, 5]);
        assert_eq!(parse("naam,code\n").unwrap_err()[0].line, 1);
        assert_eq!(fields("a,\"b, \"\"c\"\"\",d"), ["a", "b, \"c\"", "d"]);
    }
}
