//! The one mapping from the domain's refusals to the catalogue keys of their messages, for the
//! pages and the API alike (the stable codes are [`parkportal_web::ErrorCode`]'s).

use parkportal_domain::mandates::Refusal;
use parkportal_domain::rules::ReasonCode;

/// The message of a rule's reason: in words of starting, or of extending a session.
pub(crate) fn reason(reason: ReasonCode, extending: bool) -> String {
    let section = if extending {
        "parking.extend_reason"
    } else {
        "parking.reason"
    };
    format!("{section}.{}", reason.as_str())
}

/// The mandates page's own words for a refused mandate.
pub(crate) fn mandate(refusal: Refusal) -> String {
    format!("mandates.refusal.{}", refusal.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_stable_codes() {
        assert_eq!(
            reason(ReasonCode::EndOfDay, false),
            "parking.reason.end_of_day"
        );
        assert_eq!(
            reason(ReasonCode::EndOfDay, true),
            "parking.extend_reason.end_of_day"
        );
        assert_eq!(
            mandate(Refusal::LimitReached),
            "mandates.refusal.mandate_limit_reached"
        );
    }
}
