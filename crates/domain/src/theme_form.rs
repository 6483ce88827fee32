//! The theme as a form (#24): the colour tokens a beheerder sets, grouped by what they colour,
//! every text/background pair with its WCAG contrast ratio, and the tokens as the nested JSON
//! the NL Design System publishes (`{"utrecht": {"link": {"color": {"value": "#..."}}}}`).

use crate::theme::{COMPONENT_PAIRS, TEXT_PAIRS, ThemeTokens, contrast_ratio, parse_hex_colour};
use std::collections::BTreeMap;

/// What a group of tokens colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenGroup {
    /// The page: text, background, cards, footer.
    Page,
    /// The header with the logo.
    Header,
    /// Buttons.
    Buttons,
    /// Links.
    Links,
    /// The focus ring.
    Focus,
    /// Messages: information, success, warning, error.
    Alerts,
}

impl TokenGroup {
    /// All groups, in the form's order.
    pub const ALL: [TokenGroup; 6] = [
        Self::Page,
        Self::Header,
        Self::Buttons,
        Self::Links,
        Self::Focus,
        Self::Alerts,
    ];

    /// The stable name (for texts and ids).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::Header => "header",
            Self::Buttons => "buttons",
            Self::Links => "links",
            Self::Focus => "focus",
            Self::Alerts => "alerts",
        }
    }
}

/// A colour token the form offers: its name, its group, and its path in the nested JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenField {
    /// The custom property's name without `--`.
    pub name: &'static str,
    /// What it colours.
    pub group: TokenGroup,
    /// Its path in the NL Design System's nested token file.
    pub path: &'static [&'static str],
}

const fn field(name: &'static str, group: TokenGroup, path: &'static [&'static str]) -> TokenField {
    TokenField { name, group, path }
}

/// Every colour token of the form, in its order.
pub const FIELDS: &[TokenField] = &[
    field(
        "utrecht-document-color",
        TokenGroup::Page,
        &["utrecht", "document", "color"],
    ),
    field(
        "utrecht-document-background-color",
        TokenGroup::Page,
        &["utrecht", "document", "background-color"],
    ),
    field(
        "parkportal-card-color",
        TokenGroup::Page,
        &["parkportal", "card", "color"],
    ),
    field(
        "parkportal-card-background-color",
        TokenGroup::Page,
        &["parkportal", "card", "background-color"],
    ),
    field(
        "parkportal-card-border-color",
        TokenGroup::Page,
        &["parkportal", "card", "border-color"],
    ),
    field(
        "utrecht-page-footer-color",
        TokenGroup::Page,
        &["utrecht", "page-footer", "color"],
    ),
    field(
        "utrecht-page-footer-background-color",
        TokenGroup::Page,
        &["utrecht", "page-footer", "background-color"],
    ),
    field(
        "utrecht-page-header-color",
        TokenGroup::Header,
        &["utrecht", "page-header", "color"],
    ),
    field(
        "utrecht-page-header-background-color",
        TokenGroup::Header,
        &["utrecht", "page-header", "background-color"],
    ),
    field(
        "utrecht-button-primary-action-color",
        TokenGroup::Buttons,
        &["utrecht", "button", "primary-action", "color"],
    ),
    field(
        "utrecht-button-primary-action-background-color",
        TokenGroup::Buttons,
        &["utrecht", "button", "primary-action", "background-color"],
    ),
    field(
        "utrecht-link-color",
        TokenGroup::Links,
        &["utrecht", "link", "color"],
    ),
    field(
        "utrecht-link-hover-color",
        TokenGroup::Links,
        &["utrecht", "link", "hover-color"],
    ),
    field(
        "utrecht-focus-outline-color",
        TokenGroup::Focus,
        &["utrecht", "focus", "outline-color"],
    ),
    field(
        "utrecht-alert-info-color",
        TokenGroup::Alerts,
        &["utrecht", "alert", "info", "color"],
    ),
    field(
        "utrecht-alert-info-background-color",
        TokenGroup::Alerts,
        &["utrecht", "alert", "info", "background-color"],
    ),
    field(
        "utrecht-alert-ok-color",
        TokenGroup::Alerts,
        &["utrecht", "alert", "ok", "color"],
    ),
    field(
        "utrecht-alert-ok-background-color",
        TokenGroup::Alerts,
        &["utrecht", "alert", "ok", "background-color"],
    ),
    field(
        "utrecht-alert-warning-color",
        TokenGroup::Alerts,
        &["utrecht", "alert", "warning", "color"],
    ),
    field(
        "utrecht-alert-warning-background-color",
        TokenGroup::Alerts,
        &["utrecht", "alert", "warning", "background-color"],
    ),
    field(
        "utrecht-alert-error-color",
        TokenGroup::Alerts,
        &["utrecht", "alert", "error", "color"],
    ),
    field(
        "utrecht-alert-error-background-color",
        TokenGroup::Alerts,
        &["utrecht", "alert", "error", "background-color"],
    ),
];

/// A pair the contrast check measures, with its ratio over a set of tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct PairRatio {
    /// The foreground token.
    pub foreground: &'static str,
    /// The background token.
    pub background: &'static str,
    /// The measured ratio (`None`: one side is no colour the check can read).
    pub ratio: Option<f64>,
    /// What WCAG AA asks: 4.5 for text, 3 for interface components.
    pub required: f64,
}

impl PairRatio {
    /// Whether the pair reaches AA.
    pub fn passes(&self) -> bool {
        self.ratio.is_some_and(|r| r >= self.required)
    }

    /// The group the pair belongs to: its foreground's.
    pub fn group(&self) -> Option<TokenGroup> {
        FIELDS
            .iter()
            .find(|f| f.name == self.foreground)
            .map(|f| f.group)
    }
}

/// Every checked pair with its ratio over `tokens` (the theme's tokens with the gemeente's laid
/// over them): what the form shows beside the fields.
pub fn ratios(tokens: &ThemeTokens) -> Vec<PairRatio> {
    TEXT_PAIRS
        .iter()
        .map(|p| (p, 4.5))
        .chain(COMPONENT_PAIRS.iter().map(|p| (p, 3.0)))
        .map(|((foreground, background), required)| {
            let colour = |name: &str| tokens.get(name).and_then(parse_hex_colour);
            PairRatio {
                foreground,
                background,
                ratio: colour(foreground)
                    .zip(colour(background))
                    .map(|(f, b)| contrast_ratio(f, b)),
                required,
            }
        })
        .collect()
}

/// `tokens` as the nested JSON the NL Design System publishes: known tokens at their paths, any
/// other under its first word (which flattens back to the same name).
pub fn nested_json(tokens: &ThemeTokens) -> String {
    let mut root = serde_json::Map::new();
    for (name, value) in tokens.iter() {
        let path: Vec<&str> = match FIELDS.iter().find(|f| f.name == name) {
            Some(f) => f.path.to_vec(),
            None => match name.split_once('-') {
                Some((first, rest)) => vec![first, rest],
                None => vec![name],
            },
        };
        insert(&mut root, &path, value);
    }
    serde_json::to_string_pretty(&serde_json::Value::Object(root))
        .unwrap_or_else(|_| "{}".to_owned())
}

fn insert(map: &mut serde_json::Map<String, serde_json::Value>, path: &[&str], value: &str) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        let mut leaf = serde_json::Map::new();
        leaf.insert("value".into(), serde_json::Value::String(value.to_owned()));
        map.insert((*first).to_owned(), serde_json::Value::Object(leaf));
        return;
    }
    let child = map
        .entry((*first).to_owned())
        .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
    if let serde_json::Value::Object(child) = child {
        insert(child, rest, value);
    }
}

/// The gemeente's own tokens that a form's colours make: its tokens that the form does not show
/// (fonts, radius) kept, and each colour set where it differs from the theme's `base` (a colour
/// equal to the theme's is left to the theme, so that a later change of the theme reaches it).
pub fn overlay_of(
    base: &ThemeTokens,
    own: &ThemeTokens,
    colours: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = own
        .iter()
        .filter(|(name, _)| !FIELDS.iter().any(|f| f.name == *name))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    for f in FIELDS {
        if let Some(value) = colours.get(f.name) {
            let value = value.trim().to_ascii_lowercase();
            let same = base
                .get(f.name)
                .is_some_and(|b| b.eq_ignore_ascii_case(&value));
            if !same {
                out.insert(f.name.to_owned(), value);
            }
        }
    }
    out
}

/// A stylesheet that sets `tokens` on the console's preview (`.cc-preview`) only.
pub fn preview_css(tokens: &ThemeTokens) -> String {
    format!(".cc-preview {{\n{}}}\n", tokens.to_css_declarations())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(json: &str) -> ThemeTokens {
        ThemeTokens::from_json(json).unwrap()
    }

    #[test]
    fn the_nested_file_reads_back_to_the_same_tokens() {
        let flat = tokens(
            r##"{"utrecht-link-color": "#0b4f6c", "utrecht-button-primary-action-background-color": "#0b4f6c",
                 "utrecht-alert-error-color": "#1b1b1b", "parkportal-radius": "2px", "utrecht-document-font-family": "Georgia"}"##,
        );
        let nested = nested_json(&flat);
        assert!(nested.contains(r#""primary-action""#), "{nested}");
        assert_eq!(ThemeTokens::from_json(&nested).unwrap(), flat);
    }

    #[test]
    fn every_pair_gets_its_ratio_and_verdict() {
        let all = tokens(
            r##"{"utrecht-document-color": "#777777", "utrecht-document-background-color": "#ffffff"}"##,
        );
        let pairs = ratios(&all);
        let text = pairs
            .iter()
            .find(|p| p.foreground == "utrecht-document-color")
            .unwrap();
        assert!((text.ratio.unwrap() - 4.48).abs() < 0.01);
        assert!(!text.passes());
        assert_eq!(text.group(), Some(TokenGroup::Page));
        let link = pairs
            .iter()
            .find(|p| p.foreground == "utrecht-link-color")
            .unwrap();
        assert_eq!(link.ratio, None);
        assert!(!link.passes());
        assert_eq!(pairs.len(), TEXT_PAIRS.len() + COMPONENT_PAIRS.len());
    }

    #[test]
    fn the_overlay_keeps_what_the_form_does_not_show_and_leaves_the_themes_colours() {
        let base =
            tokens(r##"{"utrecht-link-color": "#0b57a4", "utrecht-document-color": "#1b1b1b"}"##);
        let own = tokens(r##"{"utrecht-link-color": "#006b5f", "parkportal-radius": "2px"}"##);
        let colours = BTreeMap::from([
            ("utrecht-link-color".to_owned(), "#0B57A4".to_owned()),
            ("utrecht-document-color".to_owned(), "#000000".to_owned()),
        ]);
        let out = overlay_of(&base, &own, &colours);
        assert_eq!(
            out,
            BTreeMap::from([
                ("parkportal-radius".to_owned(), "2px".to_owned()),
                ("utrecht-document-color".to_owned(), "#000000".to_owned()),
            ])
        );
    }
}
