//! Answering the captcha as a person would: read the question on the page and answer it.

const NL: [&str; 21] = [
    "nul",
    "een",
    "twee",
    "drie",
    "vier",
    "vijf",
    "zes",
    "zeven",
    "acht",
    "negen",
    "tien",
    "elf",
    "twaalf",
    "dertien",
    "veertien",
    "vijftien",
    "zestien",
    "zeventien",
    "achttien",
    "negentien",
    "twintig",
];
const DAYS: [&str; 7] = [
    "maandag",
    "dinsdag",
    "woensdag",
    "donderdag",
    "vrijdag",
    "zaterdag",
    "zondag",
];
const ORDINALS: [&str; 5] = ["eerste", "tweede", "derde", "vierde", "vijfde"];

fn number(word: &str) -> usize {
    NL.iter()
        .position(|w| *w == word)
        .unwrap_or_else(|| panic!("not a number: {word}"))
}

/// The answer to a Dutch captcha question.
pub fn solve(question: &str) -> String {
    let q = question.trim_end_matches('?');
    let words: Vec<&str> = q.split_whitespace().collect();
    if let Some(rest) = q.strip_prefix("Hoeveel is ") {
        let parts: Vec<&str> = rest.split_whitespace().collect();
        let (a, b) = (number(parts[0]), number(parts[2]));
        return if parts[1] == "plus" { a + b } else { a - b }.to_string();
    }
    if q.starts_with("Welk getal komt na ") {
        return (number(words[words.len() - 1]) + 1).to_string();
    }
    if q.starts_with("Welke dag komt na ") {
        let d = DAYS
            .iter()
            .position(|d| *d == words[words.len() - 1])
            .unwrap();
        return DAYS[(d + 1) % 7].to_owned();
    }
    if q.starts_with("Wat is de ") {
        let n = ORDINALS.iter().position(|o| *o == words[3]).unwrap();
        let word = words[words.len() - 1].trim_matches(['\u{201c}', '\u{201d}']);
        return word.chars().nth(n).unwrap().to_string();
    }
    panic!("unknown question: {question}")
}

/// The captcha id and question in a page.
pub fn read(page: &str) -> (String, String) {
    let page = page.replace("&#x2f;", "/").replace("&quot;", "\"");
    let id = page
        .split("name=\"captcha_id\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a captcha id")
        .to_owned();
    let question = page
        .split("Controlevraag: ")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("a captcha question")
        .to_owned();
    (id, question)
}

#[test]
fn the_solver_reads_every_kind_of_question() {
    assert_eq!(solve("Hoeveel is zeven plus vijf?"), "12");
    assert_eq!(solve("Hoeveel is twintig min drie?"), "17");
    assert_eq!(solve("Welk getal komt na negentien?"), "20");
    assert_eq!(solve("Welke dag komt na zondag?"), "maandag");
    assert_eq!(
        solve("Wat is de derde letter van het woord \u{201c}fiets\u{201d}?"),
        "e"
    );
}
