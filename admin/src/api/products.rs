//! Products in the admin API: issue one with its allocation letter (`products:issue`), read one
//! as staff see it (`products:read`) and fetch its letter while it is kept (`letters:read`).

use super::ApiKey;
use super::caller::{Caller, ReadRefusals};
use chrono::NaiveDate;
use parkportal_domain::api_keys::Scope;
use parkportal_domain::coupling::{IssueError, IssueRequest, Issuer, StaffProductView};
use parkportal_domain::plate::Plate;
use parkportal_domain::{
    EmailAddress, Language, ProductCode, ProductId, Recipient, RecipientField, RecipientInput,
};
use parkportal_web::refusals::Failure;
use parkportal_web::{ApiFailure, AppError, ErrorCode, declare_refusals};
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};

/// The products endpoints.
pub struct ProductsApi;

/// A postal address in the Netherlands.
#[derive(Debug, Object)]
pub struct RecipientBody {
    /// The name on the first line, e.g. `J. de Vries` (at most 100 characters).
    #[oai(validator(max_length = 100))]
    pub name: String,
    /// The street (at most 100 characters).
    #[oai(validator(max_length = 100))]
    pub street: String,
    /// The house number with its addition, e.g. `12` or `12 A` (at most 20 characters,
    /// starting with a digit).
    #[oai(validator(max_length = 20))]
    pub house_number: String,
    /// The postcode, `1234 AB` or `1234AB`.
    #[oai(validator(max_length = 10))]
    pub postcode: String,
    /// The place (at most 60 characters).
    #[oai(validator(max_length = 60))]
    pub city: String,
}

/// A product to issue. What is left out takes the gemeente's default: its first visitor scheme in
/// use, its first zone in use, its language, the product type's validity, no plates, no balance.
#[derive(Debug, Object)]
pub struct IssueBody {
    /// Who the allocation letter goes to; kept with the product.
    pub recipient: RecipientBody,
    /// Where the coupling e-mail goes: when given, it is sent.
    pub email: Option<String>,
    /// The letter's language, `nl` or `en`.
    pub language: Option<String>,
    /// The product type's code.
    pub product_type: Option<String>,
    /// The zone's code.
    pub zone: Option<String>,
    /// The last valid day (in the gemeente's time zone).
    pub valid_until: Option<NaiveDate>,
    /// Plates in the command line's form: `AB-12-34`, or a foreign one as `DE:B-XY123`.
    #[oai(validator(max_items = 20))]
    pub plates: Option<Vec<String>>,
    /// The opening balance as a decimal string in the product type's unit: `"25.00"` euros,
    /// `"600"` minutes.
    #[oai(validator(max_length = 20))]
    pub balance: Option<String>,
}

/// A postal address as stored.
#[derive(Debug, Object)]
pub struct AddressItem {
    /// The name.
    pub name: String,
    /// The street.
    pub street: String,
    /// The house number with its addition.
    pub house_number: String,
    /// The postcode, `1234 AB`.
    pub postcode: String,
    /// The place.
    pub city: String,
}

/// A product as staff see it.
#[derive(Debug, Object)]
pub struct ProductItem {
    /// Its code, as on the letter: `ACDEF-GHJKM`.
    pub code: String,
    /// The product type's code.
    pub product_type: String,
    /// The product type's name.
    pub product_type_name: String,
    /// `visitor_scheme` or `permit`.
    pub kind: String,
    /// The zone's code.
    pub zone: String,
    /// The zone's name.
    pub zone_name: String,
    /// `active`, or what ended it.
    pub status: String,
    /// Valid from (RFC 3339).
    pub valid_from: chrono::DateTime<chrono::Utc>,
    /// Valid until, exclusive (RFC 3339): the end of the last valid day in the gemeente.
    pub valid_until: chrono::DateTime<chrono::Utc>,
    /// The holder's postal address, when it was issued by post.
    #[oai(nullable)]
    pub recipient: Option<AddressItem>,
    /// Whether a resident has coupled it to their account.
    pub coupled: bool,
    /// Its plates in the form `plates` takes: `AB-12-34`, a foreign one as `DE:BXY123`.
    pub plates: Vec<String>,
    /// The balance as a decimal string in its unit.
    pub balance: String,
    /// `EUR`, `minutes`, `sessions` or `none`.
    pub unit: String,
    /// Until when its letter can be fetched; null when none is kept.
    #[oai(nullable)]
    pub letter_kept_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// A product just issued: its code and PIN, shown this once.
#[derive(Debug, Object)]
pub struct IssuedProduct {
    /// The code, as on the letter.
    pub code: String,
    /// The PIN: also on the letter, stored only as a hash, never shown again.
    pub pin: String,
    /// Where the letter's PDF can be fetched (with `letters:read`) while it is kept.
    pub letter_url: String,
    /// The product.
    pub product: ProductItem,
}

/// The answer of `POST /v1/products`.
#[derive(ApiResponse)]
enum IssueAnswer {
    /// Issued. The answer holds the PIN: no cache keeps it.
    #[oai(status = 201)]
    Created(
        Json<IssuedProduct>,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

/// The answer of `GET /v1/products/{code}`.
#[derive(ApiResponse)]
enum ReadAnswer {
    /// The product. It holds the holder's name and address: no cache keeps it.
    #[oai(status = 200)]
    Ok(
        Json<ProductItem>,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

/// The answer of `GET /v1/products/{code}/letter.pdf`.
#[derive(ApiResponse)]
enum LetterAnswer {
    /// The allocation letter, an A4 PDF/A. It holds the PIN: no cache keeps it.
    #[oai(status = 200, content_type = "application/pdf")]
    Pdf(
        Binary<Vec<u8>>,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

declare_refusals!(IssueRefusals [bearer, body] {
    403 => [Forbidden],
    409 => [TenantSuspended],
    422 => [RecipientInvalid, EmailInvalid, LanguageInvalid, ProductTypeUnknown, ZoneUnknown,
            ProductTypeRetired, ZoneRetired, BalanceInvalid, ValidUntilPassed, ValidUntilTooFar, PlateInvalid],
});
declare_refusals!(LetterRefusals [bearer] { 403 => [Forbidden], 404 => [NotFound] });

impl Caller {
    /// The product of the key's gemeente with the code in the path: 404 (recorded) for any
    /// other, before any scope is looked at.
    async fn product(&self, code: &str) -> poem::Result<(ProductCode, ProductId)> {
        let found = match ProductCode::parse(code) {
            Ok(code) => self
                .console
                .desk()
                .product_in(self.key.tenant, &code)
                .await
                .map_err(AppError::from)?
                .map(|id| (code, id)),
            Err(_) => None,
        };
        match found {
            Some(found) => Ok(found),
            None => Err(self
                .refuse(StatusCode::NOT_FOUND, ErrorCode::NotFound, None)
                .await?),
        }
    }

    /// The admin API's address of `code`'s letter.
    fn letter_url(&self, code: &ProductCode) -> String {
        self.console
            .web()
            .settings()
            .public_url
            .join(&format!("/api/admin/v1/products/{code}/letter.pdf"))
    }
}

impl ProductItem {
    fn of(view: StaffProductView) -> Self {
        let unit = match view.unit {
            parkportal_domain::BalanceUnit::Money => "EUR",
            other => other.as_str(),
        };
        let amount = view.unit.from_smallest(view.balance);
        let balance = match view.unit {
            parkportal_domain::BalanceUnit::Money => format!("{:.2}", amount.round_dp(2)),
            _ => amount.round_dp(0).to_string(),
        };
        Self {
            code: view.code.to_string(),
            product_type: view.product_type.0.to_string(),
            product_type_name: view.product_type.1,
            kind: view.kind.as_str().to_owned(),
            zone: view.zone.0.to_string(),
            zone_name: view.zone.1,
            status: view.status,
            valid_from: view.valid_from,
            valid_until: view.valid_until,
            recipient: view.holder.map(|h| AddressItem {
                name: h.name,
                street: h.street,
                house_number: h.house_number,
                postcode: h.postcode.as_str().to_owned(),
                city: h.city,
            }),
            coupled: view.coupled,
            plates: view.plates.iter().map(Plate::tagged).collect(),
            balance,
            unit: unit.to_owned(),
            letter_kept_until: view.letter_kept_until,
        }
    }
}

/// The request of a body, or the code of its first problem (and the address fields that are
/// wrong).
fn request_of(body: &IssueBody) -> Result<IssueRequest, (ErrorCode, Vec<RecipientField>)> {
    let r = &body.recipient;
    let recipient = Recipient::parse(&RecipientInput {
        name: &r.name,
        street: &r.street,
        house_number: &r.house_number,
        postcode: &r.postcode,
        city: &r.city,
    })
    .map_err(|fields| (ErrorCode::RecipientInvalid, fields))?;
    let plain = |code| (code, Vec::new());
    let email = body
        .email
        .as_deref()
        .map(|e| EmailAddress::parse(e.trim()))
        .transpose()
        .map_err(|_| plain(ErrorCode::EmailInvalid))?;
    let language = body
        .language
        .as_deref()
        .map(Language::parse)
        .transpose()
        .map_err(|_| plain(ErrorCode::LanguageInvalid))?;
    let plates = body
        .plates
        .iter()
        .flatten()
        .map(|p| Plate::parse_tagged(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| plain(ErrorCode::PlateInvalid))?;
    let balance = body
        .balance
        .as_deref()
        .map(|b| b.trim().parse::<rust_decimal::Decimal>())
        .transpose()
        .map_err(|_| plain(ErrorCode::BalanceInvalid))?;
    Ok(IssueRequest {
        tenant: String::new(),
        product_type: body.product_type.clone(),
        zone: body.zone.clone(),
        email,
        plates,
        valid_until: body.valid_until,
        balance,
        recipient: Some(recipient),
        letter: true,
        letter_language: language,
        issuer: None,
        application: None,
    })
}

/// The status and code of a refusal of the use case, if it is the caller's to fix.
fn refusal_of(e: &IssueError) -> Option<(StatusCode, ErrorCode)> {
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    Some(match e.code()? {
        "product_type_unknown" => (unprocessable, ErrorCode::ProductTypeUnknown),
        "zone_unknown" => (unprocessable, ErrorCode::ZoneUnknown),
        "product_type_retired" => (unprocessable, ErrorCode::ProductTypeRetired),
        "zone_retired" => (unprocessable, ErrorCode::ZoneRetired),
        "balance_invalid" => (unprocessable, ErrorCode::BalanceInvalid),
        "valid_until_passed" => (unprocessable, ErrorCode::ValidUntilPassed),
        "valid_until_too_far" => (unprocessable, ErrorCode::ValidUntilTooFar),
        "tenant_suspended" => (StatusCode::CONFLICT, ErrorCode::TenantSuspended),
        _ => return None,
    })
}

#[OpenApi]
impl ProductsApi {
    /// Issues a product with its allocation letter (scope `products:issue`), and sends the
    /// coupling e-mail when `email` is given. The PIN is in this answer and on the letter only.
    #[oai(path = "/v1/products", method = "post")]
    async fn issue(
        &self,
        req: &Request,
        _auth: ApiKey,
        body: Json<IssueBody>,
    ) -> Result<IssueAnswer, Failure<IssueRefusals>> {
        let caller = Caller::of(req)?;
        caller.require(Scope::ProductsIssue, None).await?;
        let tenant = caller.tenant().await?;
        let request = match request_of(&body.0) {
            Ok(request) => request,
            Err((code, fields)) => {
                caller.record_refusal(None, code.as_str()).await?;
                let mut failure = ApiFailure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    code,
                    caller.page.t(code.message_key()),
                );
                if !fields.is_empty() {
                    let names: Vec<serde_json::Value> = fields
                        .iter()
                        .map(|f| match f {
                            RecipientField::Name => "name",
                            RecipientField::Street => "street",
                            RecipientField::HouseNumber => "house_number",
                            RecipientField::Postcode => "postcode",
                            RecipientField::City => "city",
                        })
                        .map(Into::into)
                        .collect();
                    failure.extra = Some(serde_json::Map::from_iter([(
                        "fields".to_owned(),
                        names.into(),
                    )]));
                }
                return Err(poem::Error::from(failure).into());
            }
        };
        let request = IssueRequest {
            tenant: tenant.slug.to_string(),
            issuer: Some(Issuer {
                actor: caller.key.actor(),
                role: None,
                origin: caller.origin.clone(),
            }),
            ..request
        };
        let issued = match caller.console.desk().issue(request).await {
            Ok(issued) => issued,
            Err(e) => {
                return Err(match refusal_of(&e) {
                    Some((status, code)) => caller.refuse(status, code, None).await?.into(),
                    None => poem::Error::from(AppError::internal(e)).into(),
                });
            }
        };
        // Read back as staff see it; the issue's own entry is in the trail already.
        let view = caller
            .console
            .desk()
            .issued_view(caller.key.tenant, &issued)
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| AppError::internal("a product just issued is not there"))?;
        Ok(IssueAnswer::Created(
            Json(IssuedProduct {
                code: issued.code.to_string(),
                pin: issued.pin.expose().to_owned(),
                letter_url: caller.letter_url(&issued.code),
                product: ProductItem::of(view),
            }),
            "no-store".to_owned(),
        ))
    }

    /// A product of the key's gemeente as staff see it (scope `products:read`).
    #[oai(path = "/v1/products/:code", method = "get")]
    async fn read(
        &self,
        req: &Request,
        _auth: ApiKey,
        /// The product's code, with or without its dash.
        code: Path<String>,
    ) -> Result<ReadAnswer, Failure<ReadRefusals>> {
        let caller = Caller::of(req)?;
        let (code, id) = caller.product(&code.0).await?;
        caller
            .require(Scope::ProductsRead, Some(("product", id.0)))
            .await?;
        let view = caller
            .console
            .desk()
            .staff_view(caller.key.tenant, &code, &caller.entry())
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound)?;
        Ok(ReadAnswer::Ok(
            Json(ProductItem::of(view)),
            "no-store".to_owned(),
        ))
    }

    /// The product's allocation letter while it is kept (scope `letters:read`); 404 once it
    /// has been deleted with its PIN (`letters.keep` after issuing).
    #[oai(path = "/v1/products/:code/letter.pdf", method = "get")]
    async fn letter(
        &self,
        req: &Request,
        _auth: ApiKey,
        /// The product's code, with or without its dash.
        code: Path<String>,
    ) -> Result<LetterAnswer, Failure<LetterRefusals>> {
        let caller = Caller::of(req)?;
        let (code, id) = caller.product(&code.0).await?;
        caller
            .require(Scope::LettersRead, Some(("product", id.0)))
            .await?;
        let kept = caller
            .console
            .desk()
            .kept_letter(caller.key.tenant, &code, &caller.entry())
            .await
            .map_err(AppError::from)?;
        match kept {
            Some(letter) => Ok(LetterAnswer::Pdf(Binary(letter.pdf), "no-store".to_owned())),
            None => Err(poem::Error::from(ApiFailure::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                caller.page.t(ErrorCode::NotFound.message_key()),
            ))
            .into()),
        }
    }
}
