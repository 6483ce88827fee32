//! What residents type, parsed once for the pages and the API alike: a plate with its country,
//! a favorite, a mandate. Each page and each API operation builds the same command from its own
//! fields; a refusal names the stable code (whose message the pages show and the API sends)
//! and the form field it is about.

use parkportal_domain::favorites::FavoriteName;
use parkportal_domain::plate::{Country, Plate};
use parkportal_domain::{DecimalText, EmailAddress};
use parkportal_web::ErrorCode;

/// Input that does not parse: its code (and so its message) and the form field it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid {
    /// The stable code; [`ErrorCode::message_key`] is the message.
    pub code: ErrorCode,
    /// The field of the pages' forms.
    pub field: &'static str,
}

impl Invalid {
    fn new(code: ErrorCode, field: &'static str) -> Self {
        Self { code, field }
    }
}

/// A plate with its country: two letters, the Netherlands when left out.
pub(crate) fn vehicle(plate: &str, country: Option<&str>) -> Result<Plate, Invalid> {
    let country = match country {
        None => Country::NL,
        Some(c) => {
            Country::parse(c).map_err(|_| Invalid::new(ErrorCode::CountryInvalid, "land"))?
        }
    };
    Plate::parse(plate, country).map_err(|_| Invalid::new(ErrorCode::PlateInvalid, "kenteken"))
}

/// A plate that may be left blank (a mandate for any plate).
pub(crate) fn optional_vehicle(
    plate: Option<&str>,
    country: Option<&str>,
) -> Result<Option<Plate>, Invalid> {
    plate
        .filter(|p| !p.trim().is_empty())
        .map(|p| vehicle(p, country))
        .transpose()
}

/// An amount as a resident types it: "10", "10,50", "€ 10.50". The euro sign, blanks and the
/// Dutch decimal comma are a person's way of writing the plain decimal the domain parses; the
/// rest (a sign, an exponent, a thousands point before three digits) is refused there.
pub(crate) fn typed_amount(s: &str) -> Option<DecimalText> {
    let cleaned: String = s
        .trim()
        .trim_start_matches('€')
        .trim()
        .chars()
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    DecimalText::parse(&cleaned).ok()
}

/// "Nieuwe favoriet": a plate and its name.
pub(crate) struct AddFavorite {
    /// The plate.
    pub plate: Plate,
    /// Its name.
    pub name: FavoriteName,
}

impl AddFavorite {
    /// From the plate, its country and the name as typed or sent.
    pub fn parse(plate: &str, country: Option<&str>, name: &str) -> Result<Self, Invalid> {
        let plate = vehicle(plate, country)?;
        let name =
            FavoriteName::parse(name).map_err(|_| Invalid::new(ErrorCode::NameInvalid, "naam"))?;
        Ok(Self { plate, name })
    }
}

/// "Nieuwe machtiging": the other's address, optionally one plate, and the part of the balance.
pub(crate) struct GiveMandate {
    /// Where the invitation goes.
    pub email: EmailAddress,
    /// The one plate the other may park with; any when `None`.
    pub plate: Option<Plate>,
    /// The part of the balance given (its unit's decimals and zero are the use case's to refuse).
    pub amount: DecimalText,
}

impl GiveMandate {
    /// From the fields as typed or sent; `amount` is already read in the sender's own notation
    /// (a typed "€ 10,50" on the page, a decimal string in the API), `None` when it is none.
    pub fn parse(
        email: &str,
        plate: Option<&str>,
        country: Option<&str>,
        amount: Option<DecimalText>,
    ) -> Result<Self, Invalid> {
        let email = EmailAddress::parse(email)
            .map_err(|_| Invalid::new(ErrorCode::EmailInvalid, "email"))?;
        let plate = optional_vehicle(plate, country)?;
        let amount = amount.ok_or(Invalid::new(ErrorCode::AmountInvalid, "bedrag"))?;
        Ok(Self {
            email,
            plate,
            amount,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plate_is_dutch_unless_a_country_is_given() {
        assert_eq!(vehicle("12-gbd-3", None).unwrap().country(), Country::NL);
        assert_eq!(
            vehicle("B-XY-123", Some("DE")).unwrap().country().as_str(),
            "DE"
        );
        assert_eq!(
            vehicle("12-GBD-3", Some("??")),
            Err(Invalid::new(ErrorCode::CountryInvalid, "land"))
        );
        assert_eq!(
            vehicle("!", None),
            Err(Invalid::new(ErrorCode::PlateInvalid, "kenteken"))
        );
        assert_eq!(optional_vehicle(Some("  "), None), Ok(None));
        assert_eq!(optional_vehicle(None, Some("??")), Ok(None));
    }

    #[test]
    fn amounts_are_read_as_residents_type_them() {
        let read = |s| typed_amount(s).map(|d| (d.value().to_string(), d.decimals()));
        assert_eq!(read("€ 10,50"), Some(("10.50".into(), 2)));
        assert_eq!(read(" 10 "), Some(("10".into(), 0)));
        assert_eq!(typed_amount("-1"), None);
        assert_eq!(typed_amount("1e3"), None);
    }

    #[test]
    fn a_mandate_names_the_first_field_that_fails() {
        let amount = typed_amount("5");
        let err = |e: Result<GiveMandate, Invalid>| e.err().map(|i| i.field);
        assert_eq!(
            err(GiveMandate::parse("x", None, None, amount)),
            Some("email")
        );
        assert_eq!(
            err(GiveMandate::parse("a@b.nl", Some("!"), None, amount)),
            Some("kenteken")
        );
        assert_eq!(
            err(GiveMandate::parse("a@b.nl", None, None, None)),
            Some("bedrag")
        );
        let given = GiveMandate::parse("a@b.nl", Some("12-GBD-3"), None, amount).unwrap();
        assert_eq!(given.plate.unwrap().normalised(), "12GBD3");
    }
}
