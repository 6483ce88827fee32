//! An application in the digitaal loket (#25) as its values: its status, its reference, and the
//! form as typed, parsed into what is stored or into every field that is wrong.

use crate::email::EmailAddress;
use crate::letters::{Recipient, RecipientField, RecipientInput};
use crate::plate::Plate;
use crate::product_type::{ProductKind, ProductTypeSpec};
use crate::secret::RandomError;

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationStatus {
    /// Received; no one has decided yet ("ontvangen").
    Received,
    /// A medewerker is looking at it ("in behandeling").
    InReview,
    /// The gemeente asked the applicant something ("aanvullende informatie nodig").
    InfoNeeded,
    /// Granted: the product was issued ("toegekend").
    Granted,
    /// Rejected, with a reason ("afgewezen").
    Rejected,
}

impl ApplicationStatus {
    /// Every status, in the order an application passes them.
    pub const ALL: [ApplicationStatus; 5] = [
        Self::Received,
        Self::InReview,
        Self::InfoNeeded,
        Self::Granted,
        Self::Rejected,
    ];

    /// The stable name in the database, the API and the texts' keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::InReview => "in_review",
            Self::InfoNeeded => "info_needed",
            Self::Granted => "granted",
            Self::Rejected => "rejected",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether it is decided (granted or rejected).
    pub fn decided(self) -> bool {
        matches!(self, Self::Granted | Self::Rejected)
    }
}

/// The reference an applicant quotes: `AV-` and eight characters of the product codes'
/// alphabet (no 0/O, 1/I, 2/Z, 5/S, 8/B), e.g. `AV-KM4T-X9QA`.
pub fn new_reference() -> Result<String, RandomError> {
    let code = crate::secret::random_code(8)?;
    Ok(format!("AV-{}-{}", &code[..4], &code[4..]))
}

/// The longest remark.
pub const REMARK_MAX: usize = 1000;

/// The application form as typed (the e-mail address is the account's when logged in).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationInput {
    /// The applicant's name.
    pub name: String,
    /// The street.
    pub street: String,
    /// The house number with its addition.
    pub house_number: String,
    /// The postcode.
    pub postcode: String,
    /// The place.
    pub city: String,
    /// The e-mail address.
    pub email: String,
    /// The plates, separated by commas or lines (only for a permit).
    pub plates: String,
    /// A remark for the gemeente.
    pub remark: String,
}

/// A field of the form that was refused, with the stable code of why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplicationProblem {
    /// The field: `name`, `street`, `house_number`, `postcode`, `city`, `email`, `plates`,
    /// `remark`.
    pub field: &'static str,
    /// Why: `invalid`, `too_many`, `too_long`, `required`.
    pub code: &'static str,
}

impl ApplicationProblem {
    fn new(field: &'static str, code: &'static str) -> Self {
        Self { field, code }
    }
}

/// What a valid form holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationFields {
    /// Name and postal address.
    pub applicant: Recipient,
    /// Where the confirmation and decisions go.
    pub email: EmailAddress,
    /// The plates asked for (a permit's), each once.
    pub plates: Vec<Plate>,
    /// The remark, if any.
    pub remark: Option<String>,
}

impl ApplicationInput {
    /// The form for `product_type` checked, or every field that is wrong.
    pub fn parse(
        &self,
        product_type: &ProductTypeSpec,
    ) -> Result<ApplicationFields, Vec<ApplicationProblem>> {
        let mut problems = Vec::new();
        let applicant = Recipient::parse(&RecipientInput {
            name: &self.name,
            street: &self.street,
            house_number: &self.house_number,
            postcode: &self.postcode,
            city: &self.city,
        })
        .map_err(|fields| {
            for field in fields {
                problems.push(ApplicationProblem::new(
                    match field {
                        RecipientField::Name => "name",
                        RecipientField::Street => "street",
                        RecipientField::HouseNumber => "house_number",
                        RecipientField::Postcode => "postcode",
                        RecipientField::City => "city",
                    },
                    "invalid",
                ));
            }
        })
        .ok();
        let email = EmailAddress::parse(self.email.trim()).ok();
        if email.is_none() {
            problems.push(ApplicationProblem::new("email", "invalid"));
        }
        let mut plates: Vec<Plate> = Vec::new();
        if product_type.kind == ProductKind::Permit {
            let typed = self.plates.replace('\n', ",");
            match Plate::parse_list(&typed) {
                Ok(list) => {
                    for plate in list {
                        if !plates.contains(&plate) {
                            plates.push(plate);
                        }
                    }
                    if plates.is_empty() {
                        problems.push(ApplicationProblem::new("plates", "required"));
                    } else if plates.len() > usize::from(product_type.max_plates) {
                        problems.push(ApplicationProblem::new("plates", "too_many"));
                    }
                }
                Err(_) => problems.push(ApplicationProblem::new("plates", "invalid")),
            }
        }
        let remark = Some(self.remark.trim().to_owned()).filter(|r| !r.is_empty());
        if remark
            .as_ref()
            .is_some_and(|r| r.chars().count() > REMARK_MAX)
        {
            problems.push(ApplicationProblem::new("remark", "too_long"));
        }
        match (applicant, email) {
            (Some(applicant), Some(email)) if problems.is_empty() => Ok(ApplicationFields {
                applicant,
                email,
                plates,
                remark,
            }),
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::Code;

    fn permit() -> ProductTypeSpec {
        ProductTypeSpec {
            code: Code::parse("bewoners").unwrap(),
            name: "Bewonersvergunning".into(),
            kind: ProductKind::Permit,
            unit: crate::product_type::BalanceUnit::None,
            grant: None,
            top_ups: Vec::new(),
            validity_months: 12,
            retired: false,
            open_for_application: true,
            max_plates: 2,
            letter_on_grant: false,
        }
    }

    fn input() -> ApplicationInput {
        ApplicationInput {
            name: "J. de Vries".into(),
            street: "Kerkstraat".into(),
            house_number: "12 A".into(),
            postcode: "1234ab".into(),
            city: "Dijkstad".into(),
            email: "jan@example.nl".into(),
            plates: "AB-12-34\nab1234, DE:B-XY123".into(),
            remark: "  ".into(),
        }
    }

    #[test]
    fn a_permit_takes_its_plates_once_each_up_to_its_maximum() {
        let fields = input().parse(&permit()).unwrap();
        assert_eq!(fields.plates.len(), 2, "AB-12-34 typed twice is one plate");
        assert_eq!(fields.applicant.postcode.as_str(), "1234 AB");
        assert_eq!(fields.remark, None);
        let mut three = input();
        three.plates = "AB-12-34, DE:B-XY123, FR:AB123CD".into();
        assert_eq!(
            three.parse(&permit()).unwrap_err(),
            vec![ApplicationProblem::new("plates", "too_many")]
        );
    }

    #[test]
    fn every_wrong_field_is_named() {
        let wrong = ApplicationInput {
            postcode: "12345".into(),
            email: "geen-adres".into(),
            plates: "".into(),
            remark: "x".repeat(REMARK_MAX + 1),
            ..input()
        };
        let codes: Vec<_> = wrong
            .parse(&permit())
            .unwrap_err()
            .iter()
            .map(|p| (p.field, p.code))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("postcode", "invalid"),
                ("email", "invalid"),
                ("plates", "required"),
                ("remark", "too_long"),
            ]
        );
        // A visitor scheme asks for no plates.
        let visitor = ProductTypeSpec {
            kind: ProductKind::VisitorScheme,
            ..permit()
        };
        let fields = ApplicationInput {
            plates: "nonsense".into(),
            ..input()
        }
        .parse(&visitor)
        .unwrap();
        assert!(fields.plates.is_empty());
    }

    #[test]
    fn references_have_their_shape() {
        let r = new_reference().unwrap();
        assert_eq!(r.len(), 12);
        assert!(r.starts_with("AV-") && r.as_bytes()[7] == b'-', "{r}");
        assert_ne!(r, new_reference().unwrap());
        for s in ApplicationStatus::ALL {
            assert_eq!(ApplicationStatus::parse(s.as_str()), Some(s));
        }
    }
}
