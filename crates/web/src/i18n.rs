//! The Dutch and English catalogues of every user-facing string. Keys are dotted names
//! (`menu.close`); values may hold `{name}` placeholders.

use parkportal_domain::Language;
use std::collections::{BTreeMap, HashMap};

const NL: &str = include_str!("../i18n/nl.toml");
const EN: &str = include_str!("../i18n/en.toml");

/// The catalogues of all languages.
#[derive(Debug, Clone)]
pub struct Catalogues {
    by_language: HashMap<Language, BTreeMap<String, String>>,
}

impl Catalogues {
    /// The catalogues built into the binary. Fails only when a catalogue is not valid TOML, which a
    /// unit test rules out.
    pub fn embedded() -> Result<Self, String> {
        let mut by_language = HashMap::new();
        by_language.insert(
            Language::Nl,
            parse(NL).map_err(|e| format!("nl catalogue: {e}"))?,
        );
        by_language.insert(
            Language::En,
            parse(EN).map_err(|e| format!("en catalogue: {e}"))?,
        );
        Ok(Self { by_language })
    }

    /// These catalogues with a front end's own texts added (`nl` and `en` as TOML); a key of
    /// both replaces the shared one.
    pub fn extended(&self, nl: &str, en: &str) -> Result<Self, String> {
        let mut by_language = self.by_language.clone();
        for (lang, text) in [(Language::Nl, nl), (Language::En, en)] {
            let own = parse(text).map_err(|e| format!("{} catalogue: {e}", lang.code()))?;
            by_language.entry(lang).or_default().extend(own);
        }
        Ok(Self { by_language })
    }

    /// The text for `key` in `lang` with `{name}` placeholders filled from `args`. A key missing in
    /// `lang` falls back to Dutch, then to the key itself (and the catalogue test fails).
    pub fn text(&self, lang: Language, key: &str, args: &[(&str, String)]) -> String {
        let template = self
            .by_language
            .get(&lang)
            .and_then(|c| c.get(key))
            .or_else(|| self.by_language.get(&Language::Nl).and_then(|c| c.get(key)));
        let Some(template) = template else {
            return key.to_owned();
        };
        let mut text = template.clone();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// Whether `key` exists in every catalogue.
    pub fn has(&self, key: &str) -> bool {
        self.by_language.values().all(|c| c.contains_key(key))
    }

    /// The keys of one language.
    pub fn keys(&self, lang: Language) -> Vec<&str> {
        self.by_language
            .get(&lang)
            .map(|c| c.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }
}

fn parse(text: &str) -> Result<BTreeMap<String, String>, toml::de::Error> {
    let table: toml::Table = toml::from_str(text)?;
    let mut out = BTreeMap::new();
    flatten("", &table, &mut out);
    Ok(out)
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, String>) {
    for (key, value) in table {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&name, inner, out),
            toml::Value::String(s) => {
                out.insert(name, s.clone());
            }
            other => {
                out.insert(name, other.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let c = Catalogues::embedded().unwrap();
        let nl = c.keys(Language::Nl);
        let en = c.keys(Language::En);
        let only_nl: Vec<_> = nl.iter().filter(|k| !en.contains(k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !nl.contains(k)).collect();
        assert!(
            only_nl.is_empty() && only_en.is_empty(),
            "only in nl: {only_nl:?}; only in en: {only_en:?}"
        );
        assert!(nl.len() > 20, "the catalogues look empty");
    }

    #[test]
    fn every_value_is_filled_and_placeholders_match() {
        let c = Catalogues::embedded().unwrap();
        let placeholders = |s: &str| {
            let mut names: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}'))
                .map(|(n, _)| n.to_owned())
                .collect();
            names.sort();
            names
        };
        for key in c.keys(Language::Nl) {
            let nl = c.text(Language::Nl, key, &[]);
            let en = c.text(Language::En, key, &[]);
            assert!(
                !nl.trim().is_empty() && !en.trim().is_empty(),
                "{key} is empty"
            );
            assert_eq!(
                placeholders(&nl),
                placeholders(&en),
                "{key} has different placeholders"
            );
        }
    }

    #[test]
    fn placeholders_are_filled_and_missing_keys_show_themselves() {
        let c = Catalogues::embedded().unwrap();
        assert!(
            c.text(
                Language::En,
                "about.version",
                &[("version", "9.9.9".into())]
            )
            .contains("9.9.9")
        );
        assert_eq!(c.text(Language::Nl, "no.such.key", &[]), "no.such.key");
    }
}

#[cfg(test)]
mod template_tests {
    use super::*;
    use std::path::Path;

    fn template_keys(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            // The console's templates use the console's catalogue; its own test holds them.
            if path.is_dir()
                && path
                    .file_name()
                    .is_some_and(|n| n == crate::templates::CONSOLE)
            {
                continue;
            }
            if path.is_dir() {
                template_keys(&path, out);
            } else if path.extension().is_some_and(|e| e == "html") {
                let text = std::fs::read_to_string(&path).unwrap();
                for quote in ['"', '\''] {
                    let open = format!("t({quote}");
                    for part in text.split(open.as_str()).skip(1) {
                        if let Some((key, _)) = part.split_once(quote) {
                            out.push((path.display().to_string(), key.to_owned()));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_key_a_template_uses_is_in_both_catalogues() {
        let c = Catalogues::embedded().unwrap();
        let themes = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../themes");
        let mut keys = Vec::new();
        template_keys(&themes, &mut keys);
        assert!(keys.len() > 20, "found too few keys: {keys:?}");
        // A key ending in "." is a prefix completed at run time (`t("contrast." ~ scheme)`).
        let all = c.keys(Language::Nl);
        let missing: Vec<_> = keys
            .iter()
            .filter(|(_, k)| {
                if k.ends_with('.') {
                    !all.iter().any(|a| a.starts_with(k.as_str()))
                } else {
                    !c.has(k)
                }
            })
            .collect();
        assert!(
            missing.is_empty(),
            "keys missing from a catalogue: {missing:?}"
        );
    }

    #[test]
    fn every_error_code_has_a_title_and_text() {
        let c = Catalogues::embedded().unwrap();
        for status in [400u16, 401, 403, 404, 405, 413, 415, 429, 500, 503] {
            let code = crate::error::code_of(poem::http::StatusCode::from_u16(status).unwrap());
            for part in ["title", "text"] {
                assert!(
                    c.has(&format!("error.{code}.{part}")),
                    "error.{code}.{part}"
                );
            }
        }
    }
}
