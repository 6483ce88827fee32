//! Every code an error of the JSON API carries, in one enum (as Lemmy keeps its error types):
//! the generic ones of HTTP, the refusals of each use case and the rules' reason codes. Each has
//! a message in Dutch and in English under the catalogue key it names (a test holds both
//! catalogues to it); a context may give a more precise message (an extension's reason, say).
//! The OpenAPI document lists, per operation and status, the codes it can carry.

use parkportal_domain::mandates::Refusal as MandateRefusal;
use parkportal_domain::parking::ParkingProblem;
use parkportal_domain::password::PasswordProblem;
use parkportal_domain::rules::ReasonCode;
use poem::http::StatusCode;

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal => $key:literal,)*) => {
        /// A stable error code of the API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the order of the list.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as clients see it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The catalogue key of its message.
            pub fn message_key(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $key,)*
                }
            }
        }
    };
}

codes! {
    /// The request is malformed (a parameter or body that does not parse, a form or query that
    /// is not UTF-8).
    BadRequest = "bad_request" => "error.bad_request.text",
    /// No valid bearer token.
    Unauthorized = "unauthorized" => "api.unauthorized",
    /// Not allowed.
    Forbidden = "forbidden" => "error.forbidden.text",
    /// No such thing, or not the caller's.
    NotFound = "not_found" => "error.not_found.text",
    /// The path does not take this method (the answer says which in `Allow`).
    MethodNotAllowed = "method_not_allowed" => "error.method_not_allowed.text",
    /// The body is over the limit.
    PayloadTooLarge = "payload_too_large" => "error.payload_too_large.text",
    /// The body is not of a type the operation reads.
    UnsupportedMediaType = "unsupported_media_type" => "error.unsupported_media_type.text",
    /// Too many requests.
    TooManyRequests = "too_many_requests" => "error.too_many_requests.text",
    /// Too many failed attempts from this client or for this address: wait until the time given.
    TooManyAttempts = "too_many_attempts" => "login.blocked",
    /// Something failed inside; the request id identifies it in the log.
    InternalError = "internal_error" => "error.internal_error.text",
    /// A malformed `Idempotency-Key`.
    IdempotencyKeyInvalid = "idempotency_key_invalid" => "api.idempotency_key_invalid",
    /// A request with this key still runs.
    IdempotencyKeyInUse = "idempotency_key_in_use" => "api.idempotency_key_in_use",
    /// The key was used for another request.
    IdempotencyKeyReused = "idempotency_key_reused" => "api.idempotency_key_reused",
    /// Wrong address or password.
    InvalidCredentials = "invalid_credentials" => "login.invalid",
    /// The address has an account already: log in to accept.
    AccountExists = "account_exists" => "coupling.account_exists",
    /// Not an e-mail address.
    EmailInvalid = "email_invalid" => "mandates.email_invalid",
    /// The captcha's answer is wrong.
    CaptchaWrong = "captcha_wrong" => "captcha.wrong",
    /// The password is too short.
    PasswordTooShort = "password_too_short" => "password.password_too_short",
    /// The password given to confirm is not the account's.
    PasswordIncorrect = "password_incorrect" => "own_data.password_incorrect",
    /// The password needs letters and digits.
    PasswordNeedsLettersAndDigits =
        "password_needs_letters_and_digits" => "password.password_needs_letters_and_digits",
    /// The password is too long.
    PasswordTooLong = "password_too_long" => "password.password_too_long",
    /// The password is too common.
    PasswordTooCommon = "password_too_common" => "password.password_too_common",
    /// The two passwords differ.
    PasswordMismatch = "password_mismatch" => "password.password_mismatch",
    /// No such reset link.
    ResetLinkUnknown = "reset_link_unknown" => "reset.unknown",
    /// The reset link was used.
    ResetLinkUsed = "reset_link_used" => "reset.used",
    /// The reset link expired.
    ResetLinkExpired = "reset_link_expired" => "reset.expired",
    /// No such coupling link.
    CouplingLinkUnknown = "coupling_link_unknown" => "coupling.unknown",
    /// The coupling link was used.
    CouplingLinkUsed = "coupling_link_used" => "coupling.used",
    /// The coupling link expired.
    CouplingLinkExpired = "coupling_link_expired" => "coupling.expired",
    /// The coupling link was sent to another address than the caller's.
    CouplingLinkForeign = "coupling_link_foreign" => "coupling.foreign",
    /// The product is coupled to another account.
    ProductOwnedByOther = "product_owned_by_other" => "coupling.owned",
    /// No product with this code and PIN.
    ClaimUnknown = "claim_unknown" => "claim.unknown",
    /// Not a plate of the country.
    PlateInvalid = "plate_invalid" => "parking.problem.plate_invalid",
    /// Not a country code.
    CountryInvalid = "country_invalid" => "parking.problem.country_invalid",
    /// The start lies in the past.
    StartInPast = "start_in_past" => "parking.problem.start_in_past",
    /// The end is not after the start.
    EndBeforeStart = "end_before_start" => "parking.problem.end_before_start",
    /// The product is not valid then.
    OutsideValidity = "outside_validity" => "parking.problem.outside_validity",
    /// The session is over.
    SessionOver = "session_over" => "parking.problem.session_over",
    /// An extension must end later.
    NotLater = "not_later" => "parking.problem.not_later",
    /// The plate is not on the permit.
    PlateNotOnPermit = "plate_not_on_permit" => "parking.problem.plate_not_on_permit",
    /// The mandate is for another plate.
    PlateNotOnMandate = "plate_not_on_mandate" => "parking.problem.plate_not_on_mandate",
    /// The balance does not pay for it.
    InsufficientBalance = "insufficient_balance" => "parking.reason.insufficient_balance",
    /// The product has its maximum of sessions then.
    MaxConcurrentSessions = "max_concurrent_sessions" => "parking.reason.max_concurrent_sessions",
    /// Sessions end at the end of the day.
    EndOfDay = "end_of_day" => "parking.reason.end_of_day",
    /// Not at that time of day.
    OutsideAllowedHours = "outside_allowed_hours" => "parking.reason.outside_allowed_hours",
    /// The period's top-up maximum is reached.
    TopUpCapReached = "top_up_cap_reached" => "parking.reason.top_up_cap_reached",
    /// No mandates on this product.
    MandatesUnavailable = "mandates_unavailable" => "parking.reason.mandates_unavailable",
    /// The plate parks on the product then already.
    PlateAlreadyParked = "plate_already_parked" => "parking.reason.plate_already_parked",
    /// A rule script failed; try again later.
    RuleError = "rule_error" => "parking.reason.rule_error",
    /// The gemeente is suspended: nothing new can be started, extended or bought (running
    /// sessions run out and can be stopped).
    TenantSuspended = "tenant_suspended" => "parking.reason.tenant_suspended",
    /// A favorite's name is empty or too long.
    NameInvalid = "name_invalid" => "favorites.name_invalid",
    /// The plate is a favorite already.
    FavoriteExists = "favorite_exists" => "favorites.exists",
    /// A cursor that this list did not give.
    CursorInvalid = "cursor_invalid" => "history.cursor_invalid",
    /// Not one of the caller's products.
    StartProductInvalid = "start_product_invalid" => "settings.not_your_product",
    /// The product has no plate switch.
    PlateSwitchUnavailable = "plate_switch_unavailable" => "plate_switch.unavailable",
    /// Not one of the top-ups offered.
    OptionInvalid = "option_invalid" => "top_up.choose",
    /// The payment provider does not answer.
    PaymentProviderUnavailable = "payment_provider_unavailable" => "top_up.provider_down",
    /// Not an amount for a mandate.
    AmountInvalid = "amount_invalid" => "mandates.refusal.amount_invalid",
    /// A mandate to the owner's own address.
    OwnAddress = "own_address" => "mandates.refusal.own_address",
    /// The address has a mandate on the product already.
    MandateExists = "mandate_exists" => "mandates.refusal.mandate_exists",
    /// The owner gave the day's maximum of mandates.
    MandateLimitReached = "mandate_limit_reached" => "mandates.refusal.mandate_limit_reached",
    /// The recipient's postal address is incomplete or wrong (the fields are named in `fields`).
    RecipientInvalid = "recipient_invalid" => "api.recipient_invalid",
    /// Not a language of the platform (`nl` or `en`).
    LanguageInvalid = "language_invalid" => "api.language_invalid",
    /// The gemeente has no such product type.
    ProductTypeUnknown = "product_type_unknown" => "api.product_type_unknown",
    /// The gemeente has no such zone.
    ZoneUnknown = "zone_unknown" => "api.zone_unknown",
    /// The product type is retired: its products keep working, no new one is issued.
    ProductTypeRetired = "product_type_retired" => "api.product_type_retired",
    /// The zone is retired: its products keep working, no new one is issued in it.
    ZoneRetired = "zone_retired" => "api.zone_retired",
    /// The opening balance is not a decimal that fits the product type's unit.
    BalanceInvalid = "balance_invalid" => "api.balance_invalid",
    /// The last valid day has passed.
    ValidUntilPassed = "valid_until_passed" => "api.valid_until_passed",
    /// The last valid day lies more than ten years ahead.
    ValidUntilTooFar = "valid_until_too_far" => "api.valid_until_too_far",
    /// A letter batch's sheet has problems, each with its line in `problems`; nothing was
    /// stored.
    SheetInvalid = "sheet_invalid" => "api.sheet_invalid",
    /// A session to try is longer than the rules are walked for (31 days).
    SessionTooLong = "session_too_long" => "api.session_too_long",
    /// A session to try starts more than ten years from now.
    StartOutOfRange = "start_out_of_range" => "api.start_out_of_range",
    /// A bundle has problems, each with its file and line in `problems`; nothing was stored.
    BundleInvalid = "bundle_invalid" => "api.bundle_invalid",
    /// A bundle changes what only the platformbeheerder changes, named in `fields`.
    BundleProtected = "bundle_protected" => "api.bundle_protected",
    /// The moment new versions would take effect is not in the future.
    EffectiveFromInvalid = "effective_from_invalid" => "api.effective_from_invalid",
    /// A permit's application names no plate.
    PlatesRequired = "plates_required" => "api.plates_required",
    /// An application names more plates than the product type takes.
    PlatesTooMany = "plates_too_many" => "api.plates_too_many",
    /// An application's remark is too long.
    RemarkTooLong = "remark_too_long" => "api.remark_too_long",
    /// The application was decided (or asked about) meanwhile: nothing changed.
    ApplicationDecided = "application_decided" => "api.application_decided",
    /// A reason or question is empty or too long.
    MessageInvalid = "message_invalid" => "api.message_invalid",
    /// No letters can be made on this server.
    LettersUnavailable = "letters_unavailable" => "api.letters_unavailable",
}

impl ErrorCode {
    /// The generic code of an HTTP status, for answers no use case gives a code of its own.
    pub fn of_status(status: StatusCode) -> Self {
        match status.as_u16() {
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            413 => Self::PayloadTooLarge,
            415 => Self::UnsupportedMediaType,
            429 => Self::TooManyRequests,
            s if s >= 500 => Self::InternalError,
            _ => Self::BadRequest,
        }
    }
}

impl From<ReasonCode> for ErrorCode {
    fn from(reason: ReasonCode) -> Self {
        match reason {
            ReasonCode::InsufficientBalance => Self::InsufficientBalance,
            ReasonCode::MaxConcurrentSessions => Self::MaxConcurrentSessions,
            ReasonCode::EndOfDay => Self::EndOfDay,
            ReasonCode::OutsideAllowedHours => Self::OutsideAllowedHours,
            ReasonCode::TopUpCapReached => Self::TopUpCapReached,
            ReasonCode::MandatesUnavailable => Self::MandatesUnavailable,
            ReasonCode::PlateAlreadyParked => Self::PlateAlreadyParked,
            ReasonCode::RuleError => Self::RuleError,
            ReasonCode::TenantSuspended => Self::TenantSuspended,
        }
    }
}

impl From<ParkingProblem> for ErrorCode {
    fn from(problem: ParkingProblem) -> Self {
        match problem {
            ParkingProblem::StartInPast => Self::StartInPast,
            ParkingProblem::EndBeforeStart => Self::EndBeforeStart,
            ParkingProblem::OutsideValidity => Self::OutsideValidity,
            ParkingProblem::SessionOver => Self::SessionOver,
            ParkingProblem::NotLater => Self::NotLater,
            ParkingProblem::PlateNotOnPermit => Self::PlateNotOnPermit,
            ParkingProblem::PlateNotOnMandate => Self::PlateNotOnMandate,
        }
    }
}

impl From<PasswordProblem> for ErrorCode {
    fn from(problem: PasswordProblem) -> Self {
        match problem {
            // The staff console's own rule never reaches the resident API; too short is too short.
            PasswordProblem::TooShort | PasswordProblem::TooShortForStaff => Self::PasswordTooShort,
            PasswordProblem::NeedsLettersAndDigits => Self::PasswordNeedsLettersAndDigits,
            PasswordProblem::TooLong => Self::PasswordTooLong,
            PasswordProblem::TooCommon => Self::PasswordTooCommon,
            PasswordProblem::Mismatch => Self::PasswordMismatch,
        }
    }
}

impl From<MandateRefusal> for ErrorCode {
    fn from(refusal: MandateRefusal) -> Self {
        match refusal {
            MandateRefusal::Unavailable => Self::MandatesUnavailable,
            MandateRefusal::RuleError => Self::RuleError,
            MandateRefusal::InsufficientBalance => Self::InsufficientBalance,
            MandateRefusal::AmountInvalid => Self::AmountInvalid,
            MandateRefusal::OwnAddress => Self::OwnAddress,
            MandateRefusal::Exists => Self::MandateExists,
            MandateRefusal::LimitReached => Self::MandateLimitReached,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Catalogues;
    use parkportal_domain::Language;
    use std::collections::HashSet;

    #[test]
    fn every_code_is_unique_and_has_a_dutch_and_an_english_message() {
        let catalogues = Catalogues::embedded().unwrap();
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
            assert!(
                catalogues.has(code.message_key()),
                "{} has no message at {} in every language",
                code.as_str(),
                code.message_key()
            );
            for language in Language::ALL {
                let text = catalogues.text(language, code.message_key(), &[]);
                assert!(!text.trim().is_empty(), "{}: {language:?}", code.as_str());
            }
        }
    }

    #[test]
    fn the_domains_codes_map_to_the_same_text() {
        for reason in [
            ReasonCode::InsufficientBalance,
            ReasonCode::MaxConcurrentSessions,
            ReasonCode::EndOfDay,
            ReasonCode::OutsideAllowedHours,
            ReasonCode::TopUpCapReached,
            ReasonCode::MandatesUnavailable,
            ReasonCode::PlateAlreadyParked,
            ReasonCode::RuleError,
            ReasonCode::TenantSuspended,
        ] {
            assert_eq!(ErrorCode::from(reason).as_str(), reason.as_str());
        }
        for problem in [
            ParkingProblem::StartInPast,
            ParkingProblem::EndBeforeStart,
            ParkingProblem::OutsideValidity,
            ParkingProblem::SessionOver,
            ParkingProblem::NotLater,
            ParkingProblem::PlateNotOnPermit,
            ParkingProblem::PlateNotOnMandate,
        ] {
            assert_eq!(ErrorCode::from(problem).as_str(), problem.code());
        }
    }
}
