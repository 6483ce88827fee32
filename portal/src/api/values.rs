//! The API's own value types where poem-openapi's are more lenient than the document they
//! describe: amounts must be JSON strings, and times RFC 3339 without a leap second, both ways.

use chrono::{DateTime, Utc};
use parkportal_domain::calendar;
use parkportal_domain::{AmountError, DecimalText};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{
    ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type,
};
use serde_json::Value;
use std::borrow::Cow;

/// An amount as a request writes it: a JSON string of a plain decimal in the product's unit
/// ("25.00" euros, "600" minutes). poem-openapi's `String` would take the JSON number `10` as
/// `"10"`; here a number or boolean is kept as "not a string", for the handler to refuse with
/// 422 `amount_invalid` like any other amount that is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountText(Option<String>);

impl AmountText {
    /// The decimal it writes, parsed by the domain's one amount parser.
    pub fn decimal(&self) -> Result<DecimalText, AmountError> {
        self.0
            .as_deref()
            .map_or(Err(AmountError::NotDecimal), DecimalText::parse)
    }
}

impl Type for AmountText {
    const IS_REQUIRED: bool = true;

    type RawValueType = Self;

    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_decimal".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            pattern: Some(r"^[0-9]+(\.[0-9]{1,2})?$".to_owned()),
            ..MetaSchema::new_with_format("string", "decimal")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for AmountText {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(text)) => Ok(Self(Some(text))),
            // A value of the wrong kind is a wrong amount (422 with its code), not a malformed
            // body; a missing or null one stays the 400 of a missing field.
            Some(Value::Number(_) | Value::Bool(_)) => Ok(Self(None)),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl ToJSON for AmountText {
    fn to_json(&self) -> Option<Value> {
        self.0.clone().map(Value::String)
    }
}

/// An instant in the API, RFC 3339 both ways and never a leap second: chrono reads `10:00:60`
/// as a leap second, which PostgreSQL stores as 10:01:00 and SQLite keeps as written, so the
/// same request would be charged and listed differently on each. Refused like 30 February (400);
/// written without one whatever the database holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Time(pub DateTime<Utc>);

impl From<DateTime<Utc>> for Time {
    fn from(at: DateTime<Utc>) -> Self {
        Self(at)
    }
}

impl Time {
    /// The strict RFC 3339 text of `at`, also for times written outside a typed field.
    pub fn text(at: DateTime<Utc>) -> String {
        calendar::without_leap_second(at).to_rfc3339()
    }

    fn parse(text: &str) -> ParseResult<Self> {
        calendar::parse_rfc3339(text)
            .map(Self)
            .ok_or_else(|| ParseError::custom("not an RFC 3339 time (leap seconds are refused)"))
    }
}

impl Type for Time {
    const IS_REQUIRED: bool = true;

    type RawValueType = Self;

    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_date-time".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "date-time")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for Time {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(text)) => Self::parse(&text),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl ParseFromParameter for Time {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Self::parse(value)
    }
}

/// The same text as [`ToJSON`], for documents written by serde (the resident's data download).
impl serde::Serialize for Time {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&Self::text(self.0))
    }
}

impl ToJSON for Time {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(Self::text(self.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_amount_is_a_json_string() {
        let parse = |v: Value| AmountText::parse_from_json(Some(v)).unwrap().decimal();
        assert!(parse(Value::String("10.50".into())).is_ok());
        assert_eq!(parse(serde_json::json!(10)), Err(AmountError::NotDecimal));
        assert_eq!(parse(serde_json::json!(true)), Err(AmountError::NotDecimal));
        assert!(AmountText::parse_from_json(None).is_err());
        assert!(AmountText::parse_from_json(Some(Value::Null)).is_err());
    }

    #[test]
    fn a_time_is_strict_rfc_3339_both_ways() {
        let read = |s: &str| Time::parse_from_json(Some(Value::String(s.into())));
        assert!(read("2026-03-02T10:00:00+01:00").is_ok());
        assert!(read("2026-03-02T10:00:60+01:00").is_err());
        assert!(read("2026-02-30T10:00:00+01:00").is_err());
        assert!(Time::parse_from_json(Some(serde_json::json!(1))).is_err());
        let leap = DateTime::parse_from_rfc3339("2026-03-02T08:59:60Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            Time(leap).to_json(),
            Some(Value::String("2026-03-02T09:00:00+00:00".into()))
        );
    }
}
