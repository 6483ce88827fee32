//! The help desk's search: a gemeente's products found by what a resident at the counter can
//! tell (the code on their letter, their e-mail address, a plate, their postcode or their
//! name). Every search is scoped to the gemeente in its query and is in the audit trail with
//! the ids it returned; an empty search returns nothing rather than everything.

use crate::audit::AuditEntry;
use crate::email::EmailAddress;
use crate::ids::{ProductId, TenantId};
use crate::letters::Postcode;
use crate::ports::StoreError;
use crate::secret::ProductCode;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// The most words a name search takes: a name is rarely longer, and each word costs a lookup.
pub const MAX_NAME_WORDS: usize = 5;
/// The longest word kept of a name: longer ones are cut, in the index and in a search alike.
pub const MAX_WORD_CHARS: usize = 40;

/// What a medewerker searches by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    /// The product code, exactly (with or without its dash, any case).
    Code,
    /// The e-mail address of the coupled account or of the coupling mail, exactly, any case.
    Email,
    /// One of the product's plates, normalised (no dashes, upper case), exactly.
    Plate,
    /// The holder's postcode, with or without the space.
    Postcode,
    /// The holder's name: every word typed is the beginning of a word of the name.
    Name,
}

impl SearchKind {
    /// Every kind, in the order a form offers them.
    pub const ALL: [Self; 5] = [
        Self::Code,
        Self::Email,
        Self::Plate,
        Self::Postcode,
        Self::Name,
    ];

    /// Its name in a form and the audit trail.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Email => "email",
            Self::Plate => "plate",
            Self::Postcode => "postcode",
            Self::Name => "name",
        }
    }

    /// The kind of a name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A search as the store runs it: its kind and its term, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchQuery {
    /// A product code.
    Code(ProductCode),
    /// An e-mail address (lower case).
    Email(EmailAddress),
    /// A plate, normalised.
    Plate(String),
    /// A postcode, `1234 AB`.
    Postcode(Postcode),
    /// The beginnings of words of the name, lower case, at most [`MAX_NAME_WORDS`].
    Name(Vec<String>),
}

/// Why a search term is not one of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// Not a term of this kind (a code of the wrong length, a postcode without letters, ...).
    #[error("not a search term of kind {}", .0.as_str())]
    Invalid(SearchKind),
}

impl SearchError {
    /// The stable code of the refusal.
    pub fn code(self) -> &'static str {
        match self {
            Self::Invalid(SearchKind::Code) => "search_code_invalid",
            Self::Invalid(SearchKind::Email) => "search_email_invalid",
            Self::Invalid(SearchKind::Plate) => "search_plate_invalid",
            Self::Invalid(SearchKind::Postcode) => "search_postcode_invalid",
            Self::Invalid(SearchKind::Name) => "search_name_invalid",
        }
    }
}

impl SearchQuery {
    /// The search of `kind` for `term`: `Ok(None)` for an empty term (which finds nothing).
    pub fn parse(kind: SearchKind, term: &str) -> Result<Option<Self>, SearchError> {
        let term = term.trim();
        if term.is_empty() {
            return Ok(None);
        }
        let invalid = SearchError::Invalid(kind);
        let query = match kind {
            SearchKind::Code => Self::Code(ProductCode::parse(term).map_err(|_| invalid)?),
            SearchKind::Email => Self::Email(EmailAddress::parse(term).map_err(|_| invalid)?),
            SearchKind::Postcode => Self::Postcode(Postcode::parse(term).map_err(|_| invalid)?),
            SearchKind::Plate => {
                // Any country's plate as typed: dashes and spaces are no part of it.
                let plate: String = term
                    .chars()
                    .filter(|c| !matches!(c, '-' | ' '))
                    .map(|c| c.to_ascii_uppercase())
                    .collect();
                if plate.is_empty()
                    || plate.len() > 12
                    || !plate.chars().all(|c| c.is_ascii_alphanumeric())
                {
                    return Err(invalid);
                }
                Self::Plate(plate)
            }
            SearchKind::Name => {
                let words = name_words(term);
                if words.is_empty() || words.len() > MAX_NAME_WORDS {
                    return Err(invalid);
                }
                Self::Name(words)
            }
        };
        Ok(Some(query))
    }

    /// Its kind.
    pub fn kind(&self) -> SearchKind {
        match self {
            Self::Code(_) => SearchKind::Code,
            Self::Email(_) => SearchKind::Email,
            Self::Plate(_) => SearchKind::Plate,
            Self::Postcode(_) => SearchKind::Postcode,
            Self::Name(_) => SearchKind::Name,
        }
    }
}

/// The words of a name as the index keeps them and a search looks for them: lower case,
/// split at everything that is not a letter or a digit, each at most [`MAX_WORD_CHARS`]
/// characters, each once, in their order.
pub fn name_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in name.split(|c: char| !c.is_alphanumeric()) {
        let word: String = word.to_lowercase().chars().take(MAX_WORD_CHARS).collect();
        if !word.is_empty() && !words.contains(&word) {
            words.push(word);
        }
    }
    words
}

/// How many characters of a word its head keeps.
pub const HEAD_CHARS: usize = 3;

/// The head of a word (its first [`HEAD_CHARS`] characters) as the index keeps it beside the
/// word: every word beginning with a prefix of at least that length has the prefix's head, so
/// the products with such a word are one range of the index, newest first (migration 25).
pub fn word_head(word: &str) -> String {
    word.chars().take(HEAD_CHARS).collect()
}

/// The first string after every string that begins with `prefix`, in the order of their bytes:
/// `prefix` with its last character one higher. `None` when there is none (the last character
/// is the highest there is; then every string from `prefix` on matches).
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        // The next scalar value, skipping the surrogates that are no characters.
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A product a search found, as the result list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductHit {
    /// The product.
    pub id: ProductId,
    /// Its code.
    pub code: ProductCode,
    /// The product type's name.
    pub product_type: String,
    /// The holder's name, for products issued by post.
    pub holder_name: Option<String>,
    /// The holder's postcode and place.
    pub holder_postcode: Option<String>,
    /// The holder's place.
    pub holder_city: Option<String>,
    /// `active`, or what it became.
    pub status: String,
    /// Its last valid moment.
    pub valid_until: DateTime<Utc>,
    /// Whether an account has coupled it.
    pub coupled: bool,
}

/// A page of results: the hits and whether more follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPage {
    /// The hits of the page, newest product first.
    pub hits: Vec<ProductHit>,
    /// Whether another page follows.
    pub more: bool,
}

/// Where products are searched.
#[async_trait]
pub trait SearchRepository: Send + Sync {
    /// At most `limit` products of `tenant` that `query` finds, newest first, after the first
    /// `offset`; `audit` (about the ids found) is written in the same transaction.
    async fn search(
        &self,
        tenant: TenantId,
        query: &SearchQuery,
        (offset, limit): (u64, u64),
        audit: &AuditEntry,
    ) -> Result<Vec<ProductHit>, StoreError>;
}

/// Results a page shows.
pub const PAGE_SIZE: u64 = 20;

/// The use case.
#[derive(Clone)]
pub struct ProductSearch {
    repo: Arc<dyn SearchRepository>,
}

impl ProductSearch {
    /// The search on its store.
    pub fn new(repo: Arc<dyn SearchRepository>) -> Self {
        Self { repo }
    }

    /// Page `page` (from 1) of what `query` finds in `tenant`, recorded as `audit` (its action
    /// `product.search`) about the ids found. (An empty search is no [`SearchQuery`]: it runs
    /// not at all, reads nothing and leaves no entry.)
    pub async fn search(
        &self,
        tenant: TenantId,
        query: &SearchQuery,
        page: u64,
        audit: AuditEntry,
    ) -> Result<SearchPage, StoreError> {
        let offset = page.saturating_sub(1).saturating_mul(PAGE_SIZE);
        // One more than a page tells whether another follows; the entry names the page's ids.
        let mut hits = self
            .repo
            .search(tenant, query, (offset, PAGE_SIZE + 1), &audit)
            .await?;
        let more = hits.len() as u64 > PAGE_SIZE;
        hits.truncate(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
        Ok(SearchPage { hits, more })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_read_as_their_kind_and_an_empty_one_finds_nothing() {
        let parse = SearchQuery::parse;
        assert_eq!(parse(SearchKind::Name, "  "), Ok(None));
        assert_eq!(
            parse(SearchKind::Postcode, "1234ab"),
            Ok(Some(SearchQuery::Postcode(
                Postcode::parse("1234 AB").unwrap()
            )))
        );
        assert_eq!(
            parse(SearchKind::Plate, "ab-12 34"),
            Ok(Some(SearchQuery::Plate("AB1234".into())))
        );
        assert_eq!(
            parse(SearchKind::Name, "J. de Vries-Österberg"),
            Ok(Some(SearchQuery::Name(vec![
                "j".into(),
                "de".into(),
                "vries".into(),
                "österberg".into()
            ])))
        );
        assert_eq!(
            parse(SearchKind::Email, "Jan@Example.NL").map(|q| q.map(|q| q.kind())),
            Ok(Some(SearchKind::Email))
        );
        for (kind, bad) in [
            (SearchKind::Code, "ABC"),
            (SearchKind::Email, "geen-adres"),
            (SearchKind::Plate, "AB_12"),
            (SearchKind::Postcode, "12345"),
            (SearchKind::Name, "a b c d e f"),
            (SearchKind::Name, "--"),
        ] {
            assert_eq!(parse(kind, bad), Err(SearchError::Invalid(kind)), "{bad}");
        }
    }

    #[test]
    fn a_prefix_ends_where_its_last_character_is_one_higher() {
        assert_eq!(prefix_end("vri").as_deref(), Some("vrj"));
        assert_eq!(prefix_end("z").as_deref(), Some("{"));
        assert_eq!(prefix_end("ö").as_deref(), Some("÷"));
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
    }

    #[test]
    fn a_name_is_its_words_once_each_cut_to_forty_characters() {
        let long = "x".repeat(50);
        assert_eq!(
            name_words(&format!("Anna ANNA {long}")),
            vec!["anna".to_owned(), "x".repeat(40)]
        );
    }
}
