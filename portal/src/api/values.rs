//! The API's own value types where poem-openapi's are more lenient than the document they
//! describe: amounts must be JSON strings.

use parkportal_domain::{AmountError, DecimalText};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
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
}
