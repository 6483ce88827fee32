//! `GET/POST /beheer/{gemeente}/regels/{type}/tarief/formulier`: the tariff as a form (#23), for
//! a beheerder who would rather not write TOML: its time frames (days, from, to, zones, whether
//! a right can be bought, the longest right) and fare parts (step, amount, from and to minute),
//! the day maximum and the free dates. It works without JavaScript: every row of the tariff in
//! force, and empty rows to add one; a row emptied or marked is left out. [Controleer] and
//! [Opslaan] do what the text editor's do, on the file the form makes.

use crate::page::{ConsolePage, context_of};
use crate::rules_pages::{
    after_save, base, code_of, effective_from, preview_of, refused, typed_versions,
};
use chrono::{NaiveDate, NaiveTime};
use minijinja::context;
use parkportal_domain::audit::Actor;
use parkportal_domain::parking::TariffUnit;
use parkportal_domain::rules_console::{
    RuleChange, RuleCheck, RuleKind, RuleProblem, RuleSaveError, RuleVersion,
};
use parkportal_domain::tariff_model::{FrameModel, PartModel, TariffModel};
use parkportal_domain::tenant::BalanceUnit;
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::{Form, Path};
use poem::{Request, Response, handler};
use rust_decimal::Decimal;

/// Empty rows offered to add a time frame, and a fare part.
const SPARE_FRAMES: usize = 2;
const SPARE_PARTS: usize = 1;

/// The most rows of each a form may send.
const MAX_ROWS: usize = 50;

/// The days a frame's checkboxes offer, as tariff files name them.
const DAYS: [&str; 8] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "daily",
];

/// The form as posted: every field by name (a day or zone checkbox may come more than once).
type Fields = Vec<(String, String)>;

/// A field and the key of its message.
type FieldError = (String, &'static str);

/// The values of `name` in `fields`.
fn all<'a>(fields: &'a Fields, name: &str) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .collect()
}

/// The first value of `name` (empty when none).
fn one<'a>(fields: &'a Fields, name: &str) -> &'a str {
    all(fields, name).first().copied().unwrap_or("")
}

/// `HH:MM`, or `24:00` where `end` allows it.
fn clock(text: &str, end: bool) -> Option<String> {
    if end && text == "24:00" {
        return Some(text.to_owned());
    }
    NaiveTime::parse_from_str(text, "%H:%M")
        .ok()
        .map(|t| t.format("%H:%M").to_string())
}

/// An optional whole number of minutes.
fn minutes(text: &str) -> Result<Option<u32>, ()> {
    match text {
        "" => Ok(None),
        t => t.parse::<u32>().map(Some).map_err(|_| ()),
    }
}

/// An amount typed `2,50` or `2.50`, not negative.
fn amount_of(text: &str) -> Option<Decimal> {
    text.replace(',', ".")
        .parse::<Decimal>()
        .ok()
        .filter(|d| !d.is_sign_negative())
}

/// Dates `YYYY-MM-DD`, separated by commas, spaces or lines.
fn dates(text: &str) -> Result<Vec<NaiveDate>, ()> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| ()))
        .collect()
}

/// The tariff `fields` describe in `unit`, or the first field that is wrong.
fn model_of(fields: &Fields, unit: TariffUnit) -> Result<TariffModel, FieldError> {
    let wrong = |field: String, key| (field, key);
    let day_maximum = match one(fields, "dagmaximum") {
        "" => None,
        t => Some(
            amount_of(t)
                .ok_or_else(|| wrong("dagmaximum".into(), "console.tariff_form.bad_amount"))?,
        ),
    };
    let free_dates = dates(one(fields, "vrije_dagen"))
        .map_err(|_| wrong("vrije_dagen".into(), "console.tariff_form.bad_dates"))?;
    let mut frames = Vec::new();
    for i in 0..MAX_ROWS {
        let f = |name: &str| format!("tijdvak{i}_{name}");
        let mut days: Vec<String> = all(fields, &f("dag"))
            .into_iter()
            .filter(|d| DAYS.contains(d))
            .map(str::to_owned)
            .collect();
        let special = dates(one(fields, &f("datums")))
            .map_err(|_| wrong(f("datums"), "console.tariff_form.bad_dates"))?;
        days.extend(special.iter().map(ToString::to_string));
        let (start, end) = (one(fields, &f("van")), one(fields, &f("tot")));
        let removed = one(fields, &f("weg")) == "ja";
        if removed || (days.is_empty() && start.is_empty() && end.is_empty()) {
            continue;
        }
        if days.is_empty() {
            return Err(wrong(f("dagen"), "console.tariff_form.no_days"));
        }
        frames.push(FrameModel {
            days,
            start: clock(start, false)
                .ok_or_else(|| wrong(f("van"), "console.tariff_form.bad_time"))?,
            end: clock(end, true).ok_or_else(|| wrong(f("tot"), "console.tariff_form.bad_time"))?,
            zones: all(fields, &f("zone"))
                .into_iter()
                .map(str::to_owned)
                .collect(),
            claim_right: one(fields, &f("recht")) == "ja",
            max_duration_minutes: minutes(one(fields, &f("max")))
                .map_err(|_| wrong(f("max"), "console.tariff_form.bad_minutes"))?,
        });
    }
    let mut parts = Vec::new();
    for j in 0..MAX_ROWS {
        let f = |name: &str| format!("deel{j}_{name}");
        let (step, amount) = (one(fields, &f("stap")), one(fields, &f("bedrag")));
        let removed = one(fields, &f("weg")) == "ja";
        if removed || (step.is_empty() && amount.is_empty()) {
            continue;
        }
        parts.push(PartModel {
            step_minutes: step
                .parse()
                .map_err(|_| wrong(f("stap"), "console.tariff_form.bad_minutes"))?,
            amount: amount_of(amount)
                .ok_or_else(|| wrong(f("bedrag"), "console.tariff_form.bad_amount"))?,
            from_minute: minutes(one(fields, &f("vanaf")))
                .map_err(|_| wrong(f("vanaf"), "console.tariff_form.bad_minutes"))?
                .unwrap_or(0),
            to_minute: minutes(one(fields, &f("tot")))
                .map_err(|_| wrong(f("tot"), "console.tariff_form.bad_minutes"))?,
        });
    }
    Ok(TariffModel {
        unit,
        day_maximum,
        free_dates,
        frames,
        parts,
    })
}

/// `model` as the form's fields, the way a beheerder typed them.
fn fields_of(model: &TariffModel) -> Fields {
    let mut fields: Fields = Vec::new();
    let mut put = |k: String, v: String| fields.push((k, v));
    if let Some(max) = model.day_maximum {
        put("dagmaximum".into(), max.to_string());
    }
    let free: Vec<String> = model.free_dates.iter().map(ToString::to_string).collect();
    put("vrije_dagen".into(), free.join(", "));
    for (i, frame) in model.frames.iter().enumerate() {
        let f = |name: &str| format!("tijdvak{i}_{name}");
        let (named, special): (Vec<&String>, Vec<&String>) =
            frame.days.iter().partition(|d| DAYS.contains(&d.as_str()));
        for day in named {
            put(f("dag"), day.clone());
        }
        let special: Vec<&str> = special.iter().map(|d| d.as_str()).collect();
        put(f("datums"), special.join(", "));
        put(f("van"), frame.start.clone());
        put(f("tot"), frame.end.clone());
        for zone in &frame.zones {
            put(f("zone"), zone.clone());
        }
        if frame.claim_right {
            put(f("recht"), "ja".into());
        }
        if let Some(max) = frame.max_duration_minutes {
            put(f("max"), max.to_string());
        }
    }
    for (j, part) in model.parts.iter().enumerate() {
        let f = |name: &str| format!("deel{j}_{name}");
        put(f("stap"), part.step_minutes.to_string());
        put(f("bedrag"), part.amount.to_string());
        put(f("vanaf"), part.from_minute.to_string());
        if let Some(to) = part.to_minute {
            put(f("tot"), to.to_string());
        }
    }
    fields
}

/// How many rows of each `fields` holds: the highest index of a row with something filled in
/// (a ticked "can buy a right" or "leave out" alone is an empty row), plus one.
fn rows(fields: &Fields, prefix: &str) -> usize {
    fields
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .filter_map(|(k, _)| {
            let (index, name) = k.strip_prefix(prefix)?.split_once('_')?;
            (name != "recht" && name != "weg")
                .then(|| index.parse::<usize>().ok())
                .flatten()
        })
        .filter(|i| *i < MAX_ROWS)
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
}

/// What the page shows besides the fields.
struct Shown<'a> {
    status: StatusCode,
    check: Option<&'a RuleCheck>,
    problems: &'a [RuleProblem],
    error: Option<FieldError>,
    /// Why the tariff in force cannot be shown as a form (it does not parse).
    unreadable: Option<String>,
}

async fn render(
    page: &ConsolePage,
    (code, word): (&str, &str),
    fields: &Fields,
    shown: Shown<'_>,
) -> Result<Response, AppError> {
    let (code, kind, row, _) = typed_versions(page, code, word).await?;
    let editor = format!("{}/{code}/tarief", base(page)?);
    let frames = (0..(rows(fields, "tijdvak") + SPARE_FRAMES).min(MAX_ROWS))
        .map(|i| {
            let f = |name: &str| format!("tijdvak{i}_{name}");
            let days = all(fields, &f("dag"));
            let zones = all(fields, &f("zone"));
            let fresh = !fields
                .iter()
                .any(|(k, _)| k.starts_with(&format!("tijdvak{i}_")));
            context! {
                i => i,
                days => DAYS.iter().enumerate().map(|(n, d)| context! {
                    value => *d,
                    label => page.t(&format!("console.tariff_form.day.{d}")),
                    n => n,
                    checked => days.contains(d),
                }).collect::<Vec<_>>(),
                datums => one(fields, &f("datums")),
                van => one(fields, &f("van")),
                tot => one(fields, &f("tot")),
                zones => row.zones.iter().enumerate().map(|(n, (zc, name))| context! {
                    value => zc, label => name, n => n, checked => zones.contains(&zc.as_str()),
                }).collect::<Vec<_>>(),
                // A new row can buy a right unless the beheerder says otherwise.
                recht => fresh || one(fields, &f("recht")) == "ja",
                max => one(fields, &f("max")),
                weg => one(fields, &f("weg")) == "ja",
            }
        })
        .collect::<Vec<_>>();
    let parts = (0..(rows(fields, "deel") + SPARE_PARTS).min(MAX_ROWS))
        .map(|j| {
            let f = |name: &str| format!("deel{j}_{name}");
            context! {
                j => j,
                stap => one(fields, &f("stap")),
                bedrag => one(fields, &f("bedrag")),
                vanaf => one(fields, &f("vanaf")),
                tot => one(fields, &f("tot")),
                weg => one(fields, &f("weg")) == "ja",
            }
        })
        .collect::<Vec<_>>();
    let preview = shown.check.map(|c| preview_of(page, row.unit, c, ("", "")));
    let (error_field, error) = shown.error.map(|(f, key)| (f, page.t(key))).unzip();
    page.render(
        "rules_tariff_form.html",
        shown.status,
        context! {
            action => format!("{editor}/formulier"),
            editor => editor,
            type_name => row.name,
            file => kind.file_name(&code),
            unit => page.t(&format!("console.tariff_form.unit.{}", row.unit.as_str())),
            several_zones => row.zones.len() > 1,
            frames => frames,
            parts => parts,
            dagmaximum => one(fields, "dagmaximum"),
            vrije_dagen => one(fields, "vrije_dagen"),
            form => context! {
                toelichting => one(fields, "toelichting"),
                ingang => one(fields, "ingang"),
            },
            checked => shown.check.is_some(),
            problems => shown.problems.iter().map(|p| p.message.clone()).collect::<Vec<String>>(),
            preview => preview,
            unreadable => shown.unreadable,
            error_field => error_field,
            error => error,
        },
    )
    .await
}

/// The tariff unit of a product type's balance.
fn unit_of(unit: BalanceUnit) -> TariffUnit {
    TariffUnit::of_balance(unit)
}

/// `GET`: the form on the tariff in force (or an empty one: none yet).
#[handler]
pub async fn show(
    page: ConsolePage,
    Path((_, code)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let word = "tarief";
    let (_, _, _, versions) = typed_versions(&page, &code, word).await?;
    let now = page.console.web().clock().now();
    let source = RuleVersion::in_force(&versions, now)
        .map(|v| v.source.clone())
        .unwrap_or_default();
    let (fields, unreadable) = if source.trim().is_empty() {
        (Fields::new(), None)
    } else {
        match page
            .console
            .web()
            .tenants()
            .validator()
            .tariff_model(&source)
        {
            Ok(model) => (fields_of(&model), None),
            Err(why) => (Fields::new(), Some(why)),
        }
    };
    let shown = Shown {
        status: StatusCode::OK,
        check: None,
        problems: &[],
        error: None,
        unreadable,
    };
    render(&page, (&code, word), &fields, shown).await
}

/// `POST`: `actie=controleer` checks the tariff the form makes (200, or 422 with its problems;
/// audited `rules.checked`); `actie=opslaan` saves it as a new version with `toelichting` (and
/// `ingang`), 303 to the editor as the text editor's save does (audited `rules.saved`). A field
/// that is wrong: 422 at the field, everything typed kept.
#[handler]
pub async fn submit(
    page: ConsolePage,
    req: &Request,
    Path((_, code_text)): Path<(String, String)>,
    Form(fields): Form<Fields>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let actie = one(&fields, "actie").to_owned();
    let action = if actie == "controleer" {
        "rules.checked"
    } else {
        "rules.saved"
    };
    let entry = page.entry(req, action)?;
    let code = match code_of(&code_text) {
        Ok(code) => code,
        Err(_) => {
            let entry = entry.about("rules", format!("{code_text}/tarief"));
            refused(&page, entry, "not_found").await?;
            return Err(AppError::NotFound);
        }
    };
    let entry = entry.about(RuleKind::Tariff.as_str(), code.as_str());
    // The product type's unit: one read of the gemeente's types, not of every version.
    let Some(unit) = page
        .console
        .web()
        .tenants()
        .overview(ctx.tenant.id)
        .await?
        .and_then(|o| o.product_types.into_iter().find(|p| p.code == code))
        .map(|p| unit_of(p.unit))
    else {
        refused(&page, entry, "not_found").await?;
        return Err(AppError::NotFound);
    };
    let place = (code_text.as_str(), "tarief");
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let at_field = |error: FieldError| Shown {
        status: unprocessable,
        check: None,
        problems: &[],
        error: Some(error),
        unreadable: None,
    };
    if actie != "controleer" && actie != "opslaan" {
        refused(&page, entry, "invalid_input").await?;
        return Err(AppError::BadRequest);
    }
    let model = match model_of(&fields, unit) {
        Ok(model) => model,
        Err(error) => {
            refused(&page, entry, "invalid_input").await?;
            return render(&page, place, &fields, at_field(error)).await;
        }
    };
    let source = model.to_toml();
    let now = page.console.web().clock().now();
    if actie == "controleer" {
        let Some(check) = page
            .console
            .rules()
            .check(
                &ctx.tenant,
                (&code, RuleKind::Tariff),
                &source,
                (None, None),
                now,
            )
            .await?
        else {
            refused(&page, entry, "not_found").await?;
            return Err(AppError::NotFound);
        };
        let status = if check.problems.is_empty() {
            page.console.record(&entry).await?;
            StatusCode::OK
        } else {
            refused(&page, entry, "rules_invalid").await?;
            unprocessable
        };
        let shown = Shown {
            status,
            check: Some(&check),
            problems: &check.problems,
            error: None,
            unreadable: None,
        };
        return render(&page, place, &fields, shown).await;
    }
    let effective = match effective_from(&page, one(&fields, "ingang")) {
        Ok(from) => from,
        Err(key) => {
            refused(&page, entry, "invalid_input").await?;
            return render(&page, place, &fields, at_field(("ingang".into(), key))).await;
        }
    };
    let change = RuleChange {
        source,
        comment: one(&fields, "toelichting").to_owned(),
        author: Actor::of(&ctx.staff).label(),
        at: now,
        effective_from: effective,
    };
    let saved = page
        .console
        .rules()
        .save(&ctx.tenant, (&code, RuleKind::Tariff), &change, &entry)
        .await;
    let editor = format!("{}/{code}/tarief", base(&page)?);
    let scheduled = change.effective_from.is_some();
    let error = match after_save(&page, (&editor, &entry, scheduled), saved).await? {
        Ok(done) => return Ok(done),
        Err(refusal) => refusal,
    };
    refused(&page, entry, error.code().unwrap_or("internal")).await?;
    let shown = match &error {
        RuleSaveError::CommentInvalid => {
            at_field(("toelichting".into(), "console.rules.comment_invalid"))
        }
        RuleSaveError::EffectiveFromInvalid => {
            at_field(("ingang".into(), "console.rules.effective_past"))
        }
        RuleSaveError::Problems(problems) => Shown {
            status: unprocessable,
            check: None,
            problems,
            error: None,
            unreadable: None,
        },
        _ => return Err(AppError::NotFound),
    };
    render(&page, place, &fields, shown).await
}
