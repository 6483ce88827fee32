//! A gemeente's catalogue as its beheerders edit it in the console (#24): zones with the
//! postcode ranges they cover, and product types with their kind, unit, validity, grant and
//! top-ups. What is in use is retired, never deleted: a retired zone or type issues nothing
//! new, and the products it has keep working. A zone nothing refers to may be deleted.

use crate::ParseError;
use crate::calendar::CapPeriod;
use crate::postcode_range::{PostcodeRange, list_text};
use crate::product_type::{
    BalanceUnit, MAX_VALIDITY_MONTHS, PeriodicGrant, ProductKind, ProductTypeSpec, TopUpOption,
};
use crate::tenant::{Code, TenantConfig, ZoneSpec};
use rust_decimal::Decimal;

/// The code no zone or type made in the console may have: the path of the form for a new one.
pub const NEW: &str = "nieuw";

/// The longest name of a zone or product type.
pub const NAME_MAX: usize = 100;

/// A field of a catalogue form that was refused: its name, the stable code of why, and what the
/// message names (the other zone of an overlap, the line that is no postcode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueProblem {
    /// The field, as the use case names it (`code`, `name`, `postcodes`, ...).
    pub field: &'static str,
    /// Why: `required`, `invalid`, `too_long`, `taken`, `overlap`, `range`, `in_use`, ...
    pub code: &'static str,
    /// What the message names, if anything.
    pub detail: Option<String>,
}

impl CatalogueProblem {
    fn new(field: &'static str, code: &'static str) -> Self {
        Self {
            field,
            code,
            detail: None,
        }
    }

    fn naming(field: &'static str, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            field,
            code,
            detail: Some(detail.into()),
        }
    }
}

/// Every pair of zones in use whose postcode ranges share a postcode: the loket could not say
/// which of the two an address lies in.
pub fn overlapping_zones(zones: &[ZoneSpec]) -> Vec<ParseError> {
    let active: Vec<&ZoneSpec> = zones.iter().filter(|z| !z.retired).collect();
    let mut problems = Vec::new();
    for (i, a) in active.iter().enumerate() {
        for b in &active[i + 1..] {
            if let Some(range) = a
                .postcodes
                .iter()
                .find(|r| b.postcodes.iter().any(|o| o.overlaps(r)))
            {
                problems.push(ParseError::new(
                    "zones",
                    format!("zones {} and {} both cover {range}", a.code, b.code),
                ));
            }
        }
    }
    problems
}

/// The zone in use among `zones` (other than `except`) that shares a postcode with `ranges`.
fn overlapping<'z>(
    ranges: &[PostcodeRange],
    zones: &'z [ZoneSpec],
    except: Option<&Code>,
) -> Option<&'z ZoneSpec> {
    zones.iter().find(|z| {
        !z.retired
            && Some(&z.code) != except
            && z.postcodes
                .iter()
                .any(|o| ranges.iter().any(|r| r.overlaps(o)))
    })
}

/// A name checked: trimmed, 1 to [`NAME_MAX`] characters, one line.
fn name_of(text: &str, problems: &mut Vec<CatalogueProblem>) -> String {
    let name = text.trim().to_owned();
    if name.is_empty() {
        problems.push(CatalogueProblem::new("name", "required"));
    } else if name.chars().count() > NAME_MAX {
        problems.push(CatalogueProblem::new("name", "too_long"));
    } else if name.chars().any(char::is_control) {
        problems.push(CatalogueProblem::new("name", "invalid"));
    }
    name
}

/// The code of a new item, checked against the codes there are.
fn new_code<'a>(
    text: &str,
    mut taken: impl Iterator<Item = &'a Code>,
    problems: &mut Vec<CatalogueProblem>,
) -> Option<Code> {
    match Code::parse(text.trim()) {
        Err(_) if text.trim().is_empty() => {
            problems.push(CatalogueProblem::new("code", "required"))
        }
        Err(_) => problems.push(CatalogueProblem::new("code", "invalid")),
        // The console's address of the form for a new one.
        Ok(code) if code.as_str() == NEW => {
            problems.push(CatalogueProblem::new("code", "reserved"))
        }
        Ok(code) if taken.any(|c| c == &code) => {
            problems.push(CatalogueProblem::new("code", "taken"));
        }
        Ok(code) => return Some(code),
    }
    None
}

/// The zone form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZoneInput {
    /// The code (only for a new zone: a zone's code never changes).
    pub code: String,
    /// The name residents see.
    pub name: String,
    /// Postcode ranges, one per line or separated by commas.
    pub postcodes: String,
}

impl ZoneInput {
    /// The input of `zone`, as the form shows it.
    pub fn of(zone: &ZoneSpec) -> Self {
        Self {
            code: zone.code.to_string(),
            name: zone.name.clone(),
            postcodes: zone
                .postcodes
                .iter()
                .map(PostcodeRange::text)
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// The zone typed: `existing` when it is edited (its code and retirement stay), else a new
    /// one among `zones`; or every field that is wrong.
    pub fn parse(
        &self,
        existing: Option<&ZoneSpec>,
        zones: &[ZoneSpec],
    ) -> Result<ZoneSpec, Vec<CatalogueProblem>> {
        let mut problems = Vec::new();
        let code = match existing {
            Some(zone) => Some(zone.code.clone()),
            None => new_code(&self.code, zones.iter().map(|z| &z.code), &mut problems),
        };
        let name = name_of(&self.name, &mut problems);
        let postcodes = match PostcodeRange::parse_list(&self.postcodes) {
            Ok(ranges) => ranges,
            Err(_) => {
                // Name the first line that is no range, or the limit.
                let bad = self
                    .postcodes
                    .split(['\n', ','])
                    .map(str::trim)
                    .find(|l| !l.is_empty() && PostcodeRange::parse(l).is_err());
                problems.push(match bad {
                    Some(line) => CatalogueProblem::naming("postcodes", "invalid", line),
                    None => CatalogueProblem::new("postcodes", "too_many"),
                });
                Vec::new()
            }
        };
        let retired = existing.is_some_and(|z| z.retired);
        if !retired && let Some(other) = overlapping(&postcodes, zones, existing.map(|z| &z.code)) {
            problems.push(CatalogueProblem::naming(
                "postcodes",
                "overlap",
                other.name.clone(),
            ));
        }
        match code {
            Some(code) if problems.is_empty() => Ok(ZoneSpec {
                code,
                name,
                postcodes,
                retired,
            }),
            _ => Err(problems),
        }
    }
}

/// One row of the top-up table as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopUpInput {
    /// What it adds, in the type's unit.
    pub amount: String,
    /// What it costs in euros; may stay empty for a balance in euros (the amount itself).
    pub price: String,
}

/// The product type form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductTypeInput {
    /// The code (only for a new type).
    pub code: String,
    /// The name residents see.
    pub name: String,
    /// `visitor_scheme` or `permit`; empty keeps the type's own (a type in use).
    pub kind: String,
    /// `money`, `minutes`, `sessions` or `none`; empty keeps the type's own.
    pub unit: String,
    /// Months a new product is valid.
    pub validity_months: String,
    /// The grant's period (empty: no grant).
    pub grant_period: String,
    /// The grant's amount in the unit.
    pub grant_amount: String,
    /// The top-ups, blank rows included.
    pub top_ups: Vec<TopUpInput>,
    /// Open for application in the digitaal loket.
    pub open_for_application: bool,
    /// The most plates one product holds.
    pub max_plates: String,
    /// An application granted makes the allocation letter too.
    pub letter_on_grant: bool,
}

/// An amount typed the Dutch way or the international one (`12,50`, `12.50`).
fn decimal(text: &str) -> Option<Decimal> {
    text.trim().replace(',', ".").parse::<Decimal>().ok()
}

impl ProductTypeInput {
    /// The input of `product_type`, as the form shows it.
    pub fn of(product_type: &ProductTypeSpec) -> Self {
        Self {
            code: product_type.code.to_string(),
            name: product_type.name.clone(),
            kind: product_type.kind.as_str().to_owned(),
            unit: product_type.unit.as_str().to_owned(),
            validity_months: product_type.validity_months.to_string(),
            grant_period: product_type
                .grant
                .map(|g| g.period.as_str().to_owned())
                .unwrap_or_default(),
            grant_amount: product_type
                .grant
                .map(|g| g.amount.to_string())
                .unwrap_or_default(),
            top_ups: product_type
                .top_ups
                .iter()
                .map(|t| TopUpInput {
                    amount: t.amount.to_string(),
                    price: format!("{:.2}", t.price),
                })
                .collect(),
            open_for_application: product_type.open_for_application,
            max_plates: product_type.max_plates.to_string(),
            letter_on_grant: product_type.letter_on_grant,
        }
    }

    /// The type typed: `existing` when it is edited (its code and retirement stay; its kind and
    /// unit too when `in_use`: its products' balances are kept in them), else a new one among
    /// `types`; or every field that is wrong.
    pub fn parse(
        &self,
        existing: Option<&ProductTypeSpec>,
        types: &[ProductTypeSpec],
        in_use: bool,
    ) -> Result<ProductTypeSpec, Vec<CatalogueProblem>> {
        let mut problems = Vec::new();
        let code = match existing {
            Some(t) => Some(t.code.clone()),
            None => new_code(&self.code, types.iter().map(|t| &t.code), &mut problems),
        };
        let name = name_of(&self.name, &mut problems);
        let kind = match (self.kind.trim(), existing) {
            ("", Some(t)) => Some(t.kind),
            (text, _) => ProductKind::parse(text).ok(),
        };
        let unit = match (self.unit.trim(), existing) {
            ("", Some(t)) => Some(t.unit),
            (text, _) => BalanceUnit::parse(text).ok(),
        };
        if kind.is_none() {
            problems.push(CatalogueProblem::new("kind", "invalid"));
        }
        if unit.is_none() {
            problems.push(CatalogueProblem::new("unit", "invalid"));
        }
        if let Some(t) = existing.filter(|_| in_use) {
            if kind.is_some_and(|k| k != t.kind) {
                problems.push(CatalogueProblem::new("kind", "in_use"));
            }
            if unit.is_some_and(|u| u != t.unit) {
                problems.push(CatalogueProblem::new("unit", "in_use"));
            }
        }
        let validity_months = self
            .validity_months
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|m| (1..=MAX_VALIDITY_MONTHS).contains(m));
        if validity_months.is_none() {
            problems.push(CatalogueProblem::new("validity_months", "range"));
        }
        let max_plates = self
            .max_plates
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|n| (1..=crate::product_type::MAX_PLATES).contains(n));
        if max_plates.is_none() {
            problems.push(CatalogueProblem::new("max_plates", "range"));
        }
        let unit_ok = unit.unwrap_or(BalanceUnit::None);
        let grant = match (self.grant_period.trim(), self.grant_amount.trim()) {
            ("", "") => None,
            ("", _) => {
                problems.push(CatalogueProblem::new("grant_period", "required"));
                None
            }
            (period, amount) => {
                let period = CapPeriod::parse(period);
                if period.is_none() {
                    problems.push(CatalogueProblem::new("grant_period", "invalid"));
                }
                let amount = decimal(amount).filter(|a| {
                    *a > Decimal::ZERO && unit_ok.to_smallest(*a).is_some_and(|v| v > 0)
                });
                if unit_ok == BalanceUnit::None {
                    problems.push(CatalogueProblem::new("grant_amount", "no_unit"));
                } else if amount.is_none() {
                    problems.push(CatalogueProblem::new("grant_amount", "invalid"));
                }
                period
                    .zip(amount)
                    .map(|(period, amount)| PeriodicGrant { period, amount })
            }
        };
        let top_ups = self.top_ups(unit_ok, kind, &mut problems);
        match (code, kind, unit, validity_months, max_plates) {
            (Some(code), Some(kind), Some(unit), Some(validity_months), Some(max_plates))
                if problems.is_empty() =>
            {
                Ok(ProductTypeSpec {
                    code,
                    name,
                    kind,
                    unit,
                    grant,
                    top_ups,
                    validity_months,
                    retired: existing.is_some_and(|t| t.retired),
                    open_for_application: self.open_for_application,
                    max_plates,
                    letter_on_grant: self.letter_on_grant,
                })
            }
            _ => Err(problems),
        }
    }

    /// The top-up rows that are filled in, each checked, or problems naming the row's amount.
    fn top_ups(
        &self,
        unit: BalanceUnit,
        kind: Option<ProductKind>,
        problems: &mut Vec<CatalogueProblem>,
    ) -> Vec<TopUpOption> {
        let mut options = Vec::new();
        for row in &self.top_ups {
            let (amount_text, price_text) = (row.amount.trim(), row.price.trim());
            if amount_text.is_empty() && price_text.is_empty() {
                continue;
            }
            let amount = decimal(amount_text)
                .filter(|a| *a > Decimal::ZERO && unit.to_smallest(*a).is_some_and(|v| v > 0));
            let price = match (price_text, unit) {
                ("", BalanceUnit::Money) => amount,
                (text, _) => decimal(text).filter(|p| {
                    *p > Decimal::ZERO
                        && *p <= Decimal::from(TopUpOption::MAX_PRICE)
                        && BalanceUnit::Money.to_smallest(*p).is_some()
                }),
            };
            match (amount, price) {
                (None, _) => {
                    problems.push(CatalogueProblem::naming("top_ups", "amount", amount_text))
                }
                (Some(_), None) => {
                    problems.push(CatalogueProblem::naming("top_ups", "price", amount_text))
                }
                (Some(amount), Some(price)) => options.push(TopUpOption { amount, price }),
            }
        }
        if !options.is_empty()
            && (kind != Some(ProductKind::VisitorScheme) || unit == BalanceUnit::None)
        {
            problems.push(CatalogueProblem::new("top_ups", "no_balance"));
        } else if let Some(kind) = kind
            && TopUpOption::problem(&options, kind, unit).is_some()
        {
            problems.push(CatalogueProblem::new("top_ups", "twice"));
        }
        options
    }
}

/// One change of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogueEdit {
    /// A new zone, at the end of the list.
    AddZone(ZoneSpec),
    /// A zone's name and postcodes, by its code.
    EditZone(ZoneSpec),
    /// A zone retired (`true`) or taken into use again.
    RetireZone(Code, bool),
    /// A zone nothing refers to, deleted (the store refuses one with products).
    DeleteZone(Code),
    /// A new product type, at the end of the list.
    AddProductType(ProductTypeSpec),
    /// A product type's settings, by its code.
    EditProductType(ProductTypeSpec),
    /// A product type retired (`true`) or taken into use again.
    RetireProductType(Code, bool),
}

/// Why an edit does not apply to the configuration as it is now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueRefusal {
    /// No zone or product type with this code.
    #[error("no such zone or product type")]
    Unknown,
    /// The code is taken (another beheerder added it meanwhile).
    #[error("the code is taken")]
    Taken,
    /// It would leave the gemeente without a zone in use.
    #[error("the last zone in use")]
    LastZone,
    /// A zone taken into use again shares a postcode with this zone in use (its name).
    #[error("its postcodes overlap zone {0}")]
    Overlap(String),
}

impl CatalogueEdit {
    /// The audited action.
    pub fn action(&self) -> &'static str {
        match self {
            Self::AddZone(_) => "zone.created",
            Self::EditZone(_) => "zone.changed",
            Self::RetireZone(_, true) => "zone.retired",
            Self::RetireZone(_, false) => "zone.restored",
            Self::DeleteZone(_) => "zone.deleted",
            Self::AddProductType(_) => "product_type.created",
            Self::EditProductType(_) => "product_type.changed",
            Self::RetireProductType(_, true) => "product_type.retired",
            Self::RetireProductType(_, false) => "product_type.restored",
        }
    }

    /// Whether the edit is of the zones (else of the product types).
    pub fn of_zones(&self) -> bool {
        matches!(
            self,
            Self::AddZone(_) | Self::EditZone(_) | Self::RetireZone(..) | Self::DeleteZone(_)
        )
    }

    /// The code of what is edited.
    pub fn code(&self) -> &Code {
        match self {
            Self::AddZone(z) | Self::EditZone(z) => &z.code,
            Self::AddProductType(t) | Self::EditProductType(t) => &t.code,
            Self::RetireZone(c, _) | Self::DeleteZone(c) | Self::RetireProductType(c, _) => c,
        }
    }

    /// Makes the edit to `config`; a refused edit leaves it as it was.
    pub fn apply(&self, config: &mut TenantConfig) -> Result<(), CatalogueRefusal> {
        let mut next = config.clone();
        self.apply_to(&mut next)?;
        *config = next;
        Ok(())
    }

    fn apply_to(&self, config: &mut TenantConfig) -> Result<(), CatalogueRefusal> {
        let zone = |config: &mut TenantConfig, code: &Code| {
            config.zones.iter().position(|z| &z.code == code)
        };
        let product_type = |config: &mut TenantConfig, code: &Code| {
            config.product_types.iter().position(|t| &t.code == code)
        };
        match self {
            Self::AddZone(new) => {
                if zone(config, &new.code).is_some() {
                    return Err(CatalogueRefusal::Taken);
                }
                config.zones.push(new.clone());
            }
            Self::EditZone(edited) => {
                let at = zone(config, &edited.code).ok_or(CatalogueRefusal::Unknown)?;
                config.zones[at].name = edited.name.clone();
                config.zones[at].postcodes = edited.postcodes.clone();
            }
            Self::RetireZone(code, retired) => {
                let at = zone(config, code).ok_or(CatalogueRefusal::Unknown)?;
                if !*retired
                    && let Some(other) =
                        overlapping(&config.zones[at].postcodes, &config.zones, Some(code))
                {
                    return Err(CatalogueRefusal::Overlap(other.name.clone()));
                }
                config.zones[at].retired = *retired;
            }
            Self::DeleteZone(code) => {
                let at = zone(config, code).ok_or(CatalogueRefusal::Unknown)?;
                config.zones.remove(at);
            }
            Self::AddProductType(new) => {
                if product_type(config, &new.code).is_some() {
                    return Err(CatalogueRefusal::Taken);
                }
                config.product_types.push(new.clone());
            }
            Self::EditProductType(edited) => {
                let at = product_type(config, &edited.code).ok_or(CatalogueRefusal::Unknown)?;
                let retired = config.product_types[at].retired;
                config.product_types[at] = ProductTypeSpec {
                    retired,
                    ..edited.clone()
                };
            }
            Self::RetireProductType(code, retired) => {
                let at = product_type(config, code).ok_or(CatalogueRefusal::Unknown)?;
                config.product_types[at].retired = *retired;
            }
        }
        if config.zones.iter().all(|z| z.retired) {
            return Err(CatalogueRefusal::LastZone);
        }
        Ok(())
    }
}

/// A zone's name and state as the audit trail names them.
fn zone_head(zone: &ZoneSpec) -> String {
    format!("name {:?}, retired {}", zone.name, zone.retired)
}

/// A zone as the audit trail names it whole (made or deleted).
fn zone_text(zone: &ZoneSpec) -> String {
    format!(
        "name {:?}, postcodes {:?}, retired {}",
        zone.name,
        list_text(&zone.postcodes),
        zone.retired
    )
}

/// A product type as the audit trail names it.
fn type_text(t: &ProductTypeSpec) -> String {
    let top_ups: Vec<String> = t
        .top_ups
        .iter()
        .map(|o| format!("{} for {:.2}", o.amount, o.price))
        .collect();
    format!(
        "name {:?}, kind {}, unit {}, validity_months {}, max_plates {}, grant {}, top_ups [{}], apply {}, letter_on_grant {}, retired {}",
        t.name,
        t.kind.as_str(),
        t.unit.as_str(),
        t.validity_months,
        t.max_plates,
        t.grant.map_or("none".to_owned(), |g| format!(
            "{} {}",
            g.amount,
            g.period.as_str()
        )),
        top_ups.join(", "),
        t.open_for_application,
        t.letter_on_grant,
        t.retired
    )
}

/// Every difference of the catalogue between `before` and `after`, as `zone code: before →
/// after` (a zone or type that is new or gone has `(none)` on its other side).
pub fn differences(before: &TenantConfig, after: &TenantConfig) -> Vec<String> {
    let mut changes = Vec::new();
    let mut codes: Vec<&Code> = before.zones.iter().map(|z| &z.code).collect();
    codes.extend(
        after
            .zones
            .iter()
            .map(|z| &z.code)
            .filter(|c| !before.zones.iter().any(|z| &z.code == *c)),
    );
    for code in codes {
        let was = before.zones.iter().find(|z| &z.code == code);
        let now = after.zones.iter().find(|z| &z.code == code);
        match (was, now) {
            (Some(was), Some(now)) => {
                let (old, new) = (zone_head(was), zone_head(now));
                if old != new {
                    changes.push(format!("zone {code}: {old} → {new}"));
                }
                // Only the ranges that went and came: a long list stays within the record.
                if was.postcodes != now.postcodes {
                    let gone: Vec<PostcodeRange> = was
                        .postcodes
                        .iter()
                        .filter(|r| !now.postcodes.contains(r))
                        .copied()
                        .collect();
                    let came: Vec<PostcodeRange> = now
                        .postcodes
                        .iter()
                        .filter(|r| !was.postcodes.contains(r))
                        .copied()
                        .collect();
                    changes.push(format!(
                        "zone {code} postcodes: removed {:?}, added {:?}",
                        list_text(&gone),
                        list_text(&came)
                    ));
                }
            }
            (None, Some(now)) => changes.push(format!("zone {code}: (none) → {}", zone_text(now))),
            (Some(was), None) => changes.push(format!("zone {code}: {} → (none)", zone_text(was))),
            (None, None) => {}
        }
    }
    let mut codes: Vec<&Code> = before.product_types.iter().map(|t| &t.code).collect();
    codes.extend(
        after
            .product_types
            .iter()
            .map(|t| &t.code)
            .filter(|c| !before.product_types.iter().any(|t| &t.code == *c)),
    );
    for code in codes {
        let was = before
            .product_types
            .iter()
            .find(|t| &t.code == code)
            .map(type_text);
        let now = after
            .product_types
            .iter()
            .find(|t| &t.code == code)
            .map(type_text);
        if was != now {
            changes.push(format!(
                "product_type {code}: {} → {}",
                was.unwrap_or_else(|| "(none)".into()),
                now.unwrap_or_else(|| "(none)".into())
            ));
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(code: &str, postcodes: &str) -> ZoneSpec {
        ZoneSpec {
            code: Code::parse(code).unwrap(),
            name: code.to_uppercase(),
            postcodes: PostcodeRange::parse_list(postcodes).unwrap(),
            retired: false,
        }
    }

    #[test]
    fn a_new_zone_may_not_share_a_postcode_with_one_in_use() {
        let zones = vec![zone("centrum", "3511-3514"), {
            let mut z = zone("oud", "3520");
            z.retired = true;
            z
        }];
        let input = |postcodes: &str| ZoneInput {
            code: "noord".into(),
            name: "Noord".into(),
            postcodes: postcodes.into(),
        };
        let problems = input("3514 AB").parse(None, &zones).unwrap_err();
        assert_eq!(
            problems,
            vec![CatalogueProblem::naming("postcodes", "overlap", "CENTRUM")]
        );
        // A retired zone's postcodes are free.
        let made = input("3520\n3530-3531").parse(None, &zones).unwrap();
        assert_eq!(list_text(&made.postcodes), "3520, 3530-3531");
        let problems = ZoneInput {
            code: "centrum".into(),
            name: " ".into(),
            postcodes: "3511\nhier".into(),
        }
        .parse(None, &zones)
        .unwrap_err();
        let codes: Vec<_> = problems.iter().map(|p| (p.field, p.code)).collect();
        assert_eq!(
            codes,
            vec![
                ("code", "taken"),
                ("name", "required"),
                ("postcodes", "invalid")
            ]
        );
        assert_eq!(problems[2].detail.as_deref(), Some("hier"));
    }

    fn visitor() -> ProductTypeSpec {
        ProductTypeSpec {
            code: Code::parse("bezoek").unwrap(),
            name: "Bezoek".into(),
            kind: ProductKind::VisitorScheme,
            unit: BalanceUnit::Money,
            grant: None,
            top_ups: Vec::new(),
            validity_months: 12,
            retired: false,
            open_for_application: false,
            max_plates: 3,
            letter_on_grant: false,
        }
    }

    #[test]
    fn a_type_in_use_keeps_its_kind_and_unit() {
        let existing = visitor();
        let mut input = ProductTypeInput::of(&existing);
        input.unit = "minutes".into();
        let problems = input
            .parse(Some(&existing), std::slice::from_ref(&existing), true)
            .unwrap_err();
        assert_eq!(problems, vec![CatalogueProblem::new("unit", "in_use")]);
        // Unused, it may change; the grant and top-ups follow the new unit.
        input.grant_period = "calendar_year".into();
        input.grant_amount = "30000".into();
        input.top_ups = vec![
            TopUpInput {
                amount: "600".into(),
                price: "12,50".into(),
            },
            TopUpInput::default(),
        ];
        let parsed = input
            .parse(Some(&existing), std::slice::from_ref(&existing), false)
            .unwrap();
        assert_eq!(parsed.unit, BalanceUnit::Minutes);
        assert_eq!(parsed.top_ups.len(), 1);
        assert_eq!(parsed.top_ups[0].price, Decimal::new(1250, 2));
        assert_eq!(parsed.grant.unwrap().amount, Decimal::from(30000));
    }

    #[test]
    fn a_product_type_form_names_what_is_wrong() {
        let input = ProductTypeInput {
            code: "Vergunning!".into(),
            name: "Vergunning".into(),
            kind: "permit".into(),
            unit: "none".into(),
            validity_months: "121".into(),
            grant_period: "week".into(),
            grant_amount: "5".into(),
            top_ups: vec![TopUpInput {
                amount: "10".into(),
                price: "".into(),
            }],
            open_for_application: false,
            max_plates: "3".into(),
            letter_on_grant: false,
        };
        let problems = input.parse(None, &[visitor()], false).unwrap_err();
        let codes: Vec<_> = problems.iter().map(|p| (p.field, p.code)).collect();
        assert_eq!(
            codes,
            vec![
                ("code", "invalid"),
                ("validity_months", "range"),
                ("grant_period", "invalid"),
                ("grant_amount", "no_unit"),
                ("top_ups", "price"),
            ]
        );
    }

    #[test]
    fn the_last_zone_in_use_cannot_go() {
        let mut config = crate::founding::config_of(&crate::founding::NewGemeente {
            slug: crate::TenantSlug::parse("proefstad").unwrap(),
            name: "Gemeente Proefstad".into(),
            time_zone: chrono_tz::Europe::Amsterdam,
            admin_name: "Beheer".into(),
            admin_email: crate::email::EmailAddress::parse("b@example.nl").unwrap(),
        })
        .unwrap();
        let code = config.zones[0].code.clone();
        assert_eq!(
            CatalogueEdit::RetireZone(code.clone(), true).apply(&mut config),
            Err(CatalogueRefusal::LastZone)
        );
        let before = config.clone();
        CatalogueEdit::AddZone(zone("noord", "1234"))
            .apply(&mut config)
            .unwrap();
        CatalogueEdit::RetireZone(code, true)
            .apply(&mut config)
            .unwrap();
        let changes = differences(&before, &config);
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert!(changes[0].ends_with("retired true"), "{changes:?}");
        assert!(
            changes[1].contains("(none) → name \"NOORD\""),
            "{changes:?}"
        );
    }
}
