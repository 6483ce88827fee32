//! Durations in the configuration, written as people write them: `"15m"`, `"2s"`, `"7d"`, `"1h"`,
//! or a bare number of seconds.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::time::Duration;

/// A duration setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigDuration(pub Duration);

impl ConfigDuration {
    /// `n` seconds.
    pub const fn seconds(n: u64) -> Self {
        Self(Duration::from_secs(n))
    }

    /// `n` milliseconds (for tests).
    pub const fn millis(n: u64) -> Self {
        Self(Duration::from_millis(n))
    }

    /// Parses `"15m"`, `"2s"`, `"250ms"`, `"1h"`, `"7d"` or `"900"` (seconds).
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (number, unit) = s.split_at(split);
        let n: u64 = number
            .parse()
            .map_err(|_| format!("{s:?} is not a duration like \"15m\", \"2s\" or \"7d\""))?;
        let millis = match unit {
            "ms" => Some(n),
            "" | "s" => n.checked_mul(1_000),
            "m" => n.checked_mul(60_000),
            "h" => n.checked_mul(3_600_000),
            "d" => n.checked_mul(86_400_000),
            _ => return Err(format!("{s:?}: unit must be ms, s, m, h or d")),
        }
        .ok_or_else(|| format!("{s:?} is too long"))?;
        Ok(Self(Duration::from_millis(millis)))
    }

    /// The same duration for the domain (chrono), saturating at chrono's limit.
    pub fn to_chrono(self) -> chrono::Duration {
        chrono::Duration::from_std(self.0).unwrap_or(chrono::Duration::MAX)
    }
}

impl std::fmt::Display for ConfigDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = self.0.as_millis();
        for (unit, size) in [
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1_000),
        ] {
            if ms >= size && ms.is_multiple_of(size) {
                return write!(f, "{}{unit}", ms / size);
            }
        }
        write!(f, "{ms}ms")
    }
}

impl Serialize for ConfigDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ConfigDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(Self::seconds(n)),
            Raw::Text(s) => Self::parse(&s).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_back() {
        for (text, secs) in [
            ("15m", 900),
            ("2s", 2),
            ("7d", 604_800),
            ("1h", 3600),
            ("90", 90),
        ] {
            assert_eq!(
                ConfigDuration::parse(text).unwrap().0.as_secs(),
                secs,
                "{text}"
            );
        }
        assert_eq!(ConfigDuration::parse("250ms").unwrap().0.as_millis(), 250);
        assert_eq!(ConfigDuration::seconds(900).to_string(), "15m");
        assert_eq!(ConfigDuration::millis(1500).to_string(), "1500ms");
        for bad in ["", "m", "15 minutes", "-1s", "1y"] {
            assert!(ConfigDuration::parse(bad).is_err(), "{bad}");
        }
    }
}
