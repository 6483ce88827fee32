//! E-mail addresses: the username of every account.

use crate::ParseError;

/// An e-mail address, trimmed and lower-cased so that one address is one account however it is
/// typed. Checked for the shape `local@domain.tld`; whether it receives mail only a mail can tell.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses what a resident typed.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim().to_lowercase();
        let err = |d: &str| ParseError::new("email", d);
        if s.len() > 254 {
            return Err(err("longer than 254 characters"));
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(|| err("no @"))?;
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return Err(err(
                "the part before @ is empty, too long or has a second @",
            ));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(err("the domain is not a domain name"));
        }
        let local_ok = local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        if !local_ok {
            return Err(err("the part before @ has characters mail does not allow"));
        }
        Ok(Self(s))
    }

    /// The address as stored and shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_normalised() {
        let a = EmailAddress::parse("  Jan.Jansen@Example.NL ").unwrap();
        assert_eq!(a.as_str(), "jan.jansen@example.nl");
        assert!(EmailAddress::parse("a+tag@sub.example.com").is_ok());
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "jan",
            "@example.nl",
            "jan@",
            "jan@nl",
            "jan@@example.nl",
            "jan@exa mple.nl",
            "jan..j@example.nl",
            ".jan@example.nl",
            "jan@-example.nl",
            "jan@example..nl",
            "jan<script>@example.nl",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
