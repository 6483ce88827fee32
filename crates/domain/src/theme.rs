//! Design tokens in the way the NL Design System names them (`--utrecht-button-primary-action-
//! background-color`), so that a gemeente can bring its own token file, and the WCAG contrast
//! check every theme has to pass.

use crate::ParseError;
use std::collections::BTreeMap;
use std::fmt;

/// A set of design tokens: CSS custom property names (without the leading `--`) and their values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThemeTokens(BTreeMap<String, String>);

/// Text and background token pairs that must reach 4.5:1 (WCAG 2.1 AA, normal text).
pub const TEXT_PAIRS: &[(&str, &str)] = &[
    (
        "utrecht-document-color",
        "utrecht-document-background-color",
    ),
    ("utrecht-link-color", "utrecht-document-background-color"),
    (
        "utrecht-button-primary-action-color",
        "utrecht-button-primary-action-background-color",
    ),
    (
        "utrecht-page-header-color",
        "utrecht-page-header-background-color",
    ),
    (
        "utrecht-page-footer-color",
        "utrecht-page-footer-background-color",
    ),
    ("parkportal-card-color", "parkportal-card-background-color"),
    (
        "utrecht-link-hover-color",
        "utrecht-document-background-color",
    ),
    (
        "utrecht-alert-info-color",
        "utrecht-alert-info-background-color",
    ),
    (
        "utrecht-alert-ok-color",
        "utrecht-alert-ok-background-color",
    ),
    (
        "utrecht-alert-warning-color",
        "utrecht-alert-warning-background-color",
    ),
    (
        "utrecht-alert-error-color",
        "utrecht-alert-error-background-color",
    ),
];

/// Interface-component pairs that must reach 3:1 (WCAG 2.1 AA, non-text contrast).
/// (In the header, focus rings take the header's text colour, which the text pairs already check.)
pub const COMPONENT_PAIRS: &[(&str, &str)] = &[
    (
        "utrecht-focus-outline-color",
        "utrecht-document-background-color",
    ),
    (
        "parkportal-card-border-color",
        "parkportal-card-background-color",
    ),
];

/// A token pair that does not reach its required contrast.
#[derive(Debug, Clone, PartialEq)]
pub struct ContrastProblem {
    /// Foreground token.
    pub foreground: String,
    /// Background token.
    pub background: String,
    /// The measured ratio, when both colours could be read.
    pub ratio: Option<f64>,
    /// The required ratio.
    pub required: f64,
}

impl fmt::Display for ContrastProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ratio {
            Some(ratio) => write!(
                f,
                "--{} on --{} has contrast {:.2}:1, needs {:.1}:1",
                self.foreground, self.background, ratio, self.required
            ),
            None => write!(
                f,
                "--{} on --{} must both be set as #rgb or #rrggbb colours",
                self.foreground, self.background
            ),
        }
    }
}

impl ThemeTokens {
    /// Parses a token file: either a flat JSON object of names to values, or the nested format of
    /// style-dictionary that NL Design System packages publish (`{"utrecht": {"link": {"color":
    /// {"value": "#123"}}}}`, also with `$value`). Names become `utrecht-link-color`.
    pub fn from_json(text: &str) -> Result<Self, ParseError> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| ParseError::new("tokens", format!("not JSON: {e}")))?;
        let mut tokens = BTreeMap::new();
        flatten(&value, &mut Vec::new(), &mut tokens)?;
        Self::from_map(tokens)
    }

    /// Builds tokens from names and values, checking both.
    pub fn from_map(map: BTreeMap<String, String>) -> Result<Self, ParseError> {
        for (name, value) in &map {
            check_name(name)?;
            check_value(name, value)?;
        }
        Ok(Self(map))
    }

    /// The tokens as a flat JSON object (how they are stored and exported).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.0).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Looks a token up.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// All tokens, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// `self` with every token of `over` laid on top.
    pub fn overlaid_with(&self, over: &ThemeTokens) -> ThemeTokens {
        let mut merged = self.0.clone();
        merged.extend(over.0.iter().map(|(k, v)| (k.clone(), v.clone())));
        ThemeTokens(merged)
    }

    /// CSS declarations (`--name: value;`), one per line; values were checked when parsed.
    pub fn to_css_declarations(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("  --{k}: {v};\n"))
            .collect()
    }

    /// The pairs among [`TEXT_PAIRS`] and [`COMPONENT_PAIRS`] that these tokens set and that fail
    /// WCAG AA. A pair of which neither token is set is left to the theme underneath.
    pub fn contrast_problems(&self) -> Vec<ContrastProblem> {
        let pairs = TEXT_PAIRS
            .iter()
            .map(|p| (p, 4.5))
            .chain(COMPONENT_PAIRS.iter().map(|p| (p, 3.0)));
        let mut problems = Vec::new();
        for ((fg, bg), required) in pairs {
            let (f, b) = (self.get(fg), self.get(bg));
            if f.is_none() && b.is_none() {
                continue;
            }
            let ratio = match (f.and_then(parse_hex_colour), b.and_then(parse_hex_colour)) {
                (Some(f), Some(b)) => Some(contrast_ratio(f, b)),
                _ => None,
            };
            if ratio.is_none_or(|r| r < required) {
                problems.push(ContrastProblem {
                    foreground: (*fg).to_owned(),
                    background: (*bg).to_owned(),
                    ratio,
                    required,
                });
            }
        }
        problems
    }
}

fn flatten(
    value: &serde_json::Value,
    path: &mut Vec<String>,
    out: &mut BTreeMap<String, String>,
) -> Result<(), ParseError> {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            if let Some(leaf) = map.get("value").or_else(|| map.get("$value")) {
                return flatten(leaf, path, out);
            }
            for (key, child) in map {
                if key.starts_with('$') || key == "comment" || key == "type" {
                    continue;
                }
                path.push(key.clone());
                flatten(child, path, out)?;
                path.pop();
            }
            Ok(())
        }
        Value::String(s) => insert(path, s.clone(), out),
        Value::Number(n) => insert(path, n.to_string(), out),
        _ => Err(ParseError::new(
            "tokens",
            format!("{} must be a string or number", path.join("-")),
        )),
    }
}

fn insert(
    path: &[String],
    value: String,
    out: &mut BTreeMap<String, String>,
) -> Result<(), ParseError> {
    if path.is_empty() {
        return Err(ParseError::new(
            "tokens",
            "the token file must be an object",
        ));
    }
    out.insert(path.join("-"), value);
    Ok(())
}

fn check_name(name: &str) -> Result<(), ParseError> {
    let ok = !name.is_empty()
        && name.len() <= 120
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.starts_with(|c: char| c.is_ascii_lowercase());
    if ok {
        Ok(())
    } else {
        Err(ParseError::new(
            "tokens",
            format!("{name:?} is not a token name"),
        ))
    }
}

/// Token values end up in a stylesheet: refuse anything that could close a declaration or load
/// something from elsewhere.
fn check_value(name: &str, value: &str) -> Result<(), ParseError> {
    let folded = value.to_ascii_lowercase();
    let ok = !value.trim().is_empty()
        && value.len() <= 200
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " #.,%()-+_'\"/".contains(c))
        && !folded.contains("url(")
        && !folded.contains("image-set(")
        && !folded.contains("expression(")
        && !folded.contains("/*")
        && !folded.contains("//")
        && value.matches('"').count().is_multiple_of(2)
        && value.matches('\'').count().is_multiple_of(2)
        && value.matches('(').count() == value.matches(')').count();
    // Colours must be readable by the contrast check, so that what the browser paints is what was
    // checked.
    let ok = ok && (!name.ends_with("-color") || parse_hex_colour(value).is_some());
    if ok {
        Ok(())
    } else {
        Err(ParseError::new(
            "tokens",
            format!("the value of {name} is not allowed in a stylesheet"),
        ))
    }
}

/// Reads `#rgb` or `#rrggbb`.
pub fn parse_hex_colour(s: &str) -> Option<[u8; 3]> {
    let hex = s.trim().strip_prefix('#')?;
    let digit = |i: usize, len: usize| u8::from_str_radix(hex.get(i..i + len)?, 16).ok();
    match hex.len() {
        3 => Some([digit(0, 1)? * 17, digit(1, 1)? * 17, digit(2, 1)? * 17]),
        6 => Some([digit(0, 2)?, digit(2, 2)?, digit(4, 2)?]),
        _ => None,
    }
}

/// The WCAG 2.1 contrast ratio of two sRGB colours, from 1 to 21.
pub fn contrast_ratio(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (relative_luminance(a), relative_luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

fn relative_luminance([r, g, b]: [u8; 3]) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_style_dictionary_files_flatten_to_nl_design_system_names() {
        let tokens = ThemeTokens::from_json(
            r##"{"utrecht": {"link": {"color": {"value": "#00466e"}},
                 "button": {"primary-action": {"background-color": {"$value": "#00466e"}}}}}"##,
        )
        .unwrap();
        assert_eq!(tokens.get("utrecht-link-color"), Some("#00466e"));
        assert_eq!(
            tokens.get("utrecht-button-primary-action-background-color"),
            Some("#00466e")
        );
        assert!(
            tokens
                .to_css_declarations()
                .contains("--utrecht-link-color: #00466e;")
        );
    }

    #[test]
    fn values_cannot_escape_the_declaration() {
        for bad in [
            r#"{"a-color": "red; } body { display: none"}"#,
            r#"{"a-bg": "url(https://x)"}"#,
            r#"{"a": "</style>"}"#,
        ] {
            assert!(ThemeTokens::from_json(bad).is_err(), "{bad} accepted");
        }
        assert!(ThemeTokens::from_json(r#"{"BadName": "1px"}"#).is_err());
        assert!(
            ThemeTokens::from_json(
                r#"{"utrecht-document-font-family": "\"Fira Sans\", sans-serif"}"#
            )
            .is_ok()
        );
    }

    #[test]
    fn contrast_follows_wcag() {
        assert!((contrast_ratio([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
        assert!((contrast_ratio([0x77, 0x77, 0x77], [255, 255, 255]) - 4.48).abs() < 0.01);
        assert_eq!(parse_hex_colour("#fff"), Some([255, 255, 255]));
        assert_eq!(parse_hex_colour("red"), None);
    }

    #[test]
    fn weak_pairs_are_reported_with_their_ratio() {
        let tokens = ThemeTokens::from_json(
            r##"{"utrecht-document-color": "#777777", "utrecht-document-background-color": "#ffffff"}"##,
        )
        .unwrap();
        let problems = tokens.contrast_problems();
        let text = problems
            .iter()
            .find(|p| p.foreground == "utrecht-document-color")
            .unwrap();
        assert!(text.to_string().contains("4.48:1"), "{text}");
        // Pairs with only one side set cannot be measured and are reported too.
        assert!(
            problems
                .iter()
                .any(|p| p.foreground == "utrecht-link-color" && p.ratio.is_none())
        );
        let half = ThemeTokens::from_json(r##"{"utrecht-link-color": "#0000ff"}"##).unwrap();
        assert!(half.contrast_problems().iter().any(|p| p.ratio.is_none()));
    }
}
