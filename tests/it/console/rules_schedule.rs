//! Scheduling in the rules console (#23): a tariff saved to take effect from a future moment
//! prices a session by the version in force at the session's start, on a fixed clock; a new
//! version for the same moment replaces the pending one; a moment not in the future is refused.

use super::rules_console::{save_tariff_from, tariff_at};
use super::*;
use crate::support::at;
use serde_json::json;

const TARIFF: &str = "/beheer/dijkstad/regels/bezoekers/tarief";

/// A new resident of Dijkstad (`who`) parks from `start` (none: now) to `end`: the cost and the
/// session's id.
async fn park(
    app: &TestApp,
    who: &str,
    start: Option<chrono::DateTime<chrono::Utc>>,
    end: chrono::DateTime<chrono::Utc>,
) -> (serde_json::Value, i64) {
    let resident = resident(app, "dijkstad", &format!("{who}@example.nl"), Some("25.00")).await;
    let mut body = json!({"plate": "ab-12-34", "end": end.to_rfc3339()});
    if let Some(start) = start {
        body["start"] = json!(start.to_rfc3339());
    }
    let (status, s) = resident.start(app, body).await;
    assert_eq!(status, 201, "{s}");
    (s["cost"]["value"].clone(), s["id"].as_i64().unwrap())
}

async fn tariff_version_of(app: &TestApp, session: i64) -> i64 {
    app.sql_i64(&format!(
        "SELECT tariff_version FROM parking_sessions WHERE id = {session}"
    ))
    .await
}

#[tokio::test]
async fn a_scheduled_tariff_prices_sessions_by_the_version_in_force_at_their_start() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    // The clock: Monday 2 March 2026 10:00 in Dijkstad. From 12:00 EUR 0.03 a minute.
    let location = save_tariff_from(
        &bea,
        &tariff_at("0.03"),
        "Tarief vanaf 12 uur",
        "2026-03-02T12:00",
    )
    .await;
    assert_eq!(location, format!("{TARIFF}?gedaan=gepland&versie=2"));
    let editor = bea.page(&location).await;
    assert!(editor.contains_text("Opgeslagen als versie 2. Deze gaat in op 02-03-2026 12:00."));
    assert!(editor.contains_text("Nu geldt versie 1."));
    assert!(editor.contains_text("Versie 2 gaat in op 02-03-2026 12:00."));
    // The editor opens on the version in force, not on the pending one.
    assert_eq!(
        editor.form(TARIFF).value("bron"),
        Some(tariff_at("0.02").as_str())
    );
    assert_eq!(
        editor.row("versie 2 (gaat als volgende in)")[1..4],
        ["02-03-2026 10:00", "02-03-2026 12:00", "bea@dijkstad.nl"]
    );
    let list = bea.page("/beheer/dijkstad/regels").await;
    assert_eq!(
        list.row("Bezoekersregeling (bezoekers)")[2],
        "versie 1: tarief van Bezoekersregeling bewerken vanaf 02-03-2026 12:00: versie 2"
    );
    let entry = audit_entries(&app)
        .await
        .into_iter()
        .find(|e| e.action == "rules.saved")
        .unwrap();
    assert_eq!(
        entry.reason.as_deref(),
        Some("1 → 2 from 2026-03-02T11:00:00+00:00")
    );

    // Before the moment: the old price (an hour at EUR 0.02).
    let (before, a) = park(&app, "voor", None, at(2, 11, 0)).await;
    assert_eq!(before, "1.20");
    assert_eq!(tariff_version_of(&app, a).await, 1);
    // After it: the new one.
    let (after, b) = park(&app, "na", Some(at(2, 13, 0)), at(2, 14, 0)).await;
    assert_eq!(after, "1.80");
    assert_eq!(tariff_version_of(&app, b).await, 2);
    // Spanning it: wholly by the version at its start, not half and half (EUR 1.50).
    let (spanning, c) = park(&app, "over", Some(at(2, 11, 30)), at(2, 12, 30)).await;
    assert_eq!(spanning, "1.20");
    assert_eq!(tariff_version_of(&app, c).await, 1);

    // A new version for the same moment replaces the pending one.
    save_tariff_from(
        &bea,
        &tariff_at("0.04"),
        "Toch iets hoger",
        "2026-03-02T12:00",
    )
    .await;
    let editor = bea.page(TARIFF).await;
    assert!(editor.contains_text("Versie 3 gaat in op 02-03-2026 12:00."));
    assert_eq!(
        editor.row("versie 2 (vervangen voor de ingang)")[2],
        "02-03-2026 12:00"
    );
    let (replaced, d) = park(&app, "later", Some(at(2, 13, 0)), at(2, 14, 0)).await;
    assert_eq!(replaced, "2.40");
    assert_eq!(tariff_version_of(&app, d).await, 3);
    // Sessions already made keep their price.
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM parking_sessions WHERE id = {b} AND tariff_version = 2"
        ))
        .await,
        1
    );

    // The clock passes the moment: what starts now is priced by version 3, which now holds.
    app.clock.advance(chrono::Duration::minutes(150));
    let (now, e) = park(&app, "straks", None, at(2, 13, 30)).await;
    assert_eq!(now, "2.40");
    assert_eq!(tariff_version_of(&app, e).await, 3);
    // (Bea's session timed out as the clock moved; her colleague looks.)
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let editor = bo.page(TARIFF).await;
    assert!(editor.contains_text("Nu geldt versie 3."));
    assert_eq!(
        editor.form(TARIFF).value("bron"),
        Some(tariff_at("0.04").as_str())
    );
}

#[tokio::test]
async fn a_moment_not_in_the_future_or_not_a_moment_is_refused_and_nothing_stored() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let count = || async {
        app.sql_i64("SELECT COUNT(*) FROM tariffs WHERE product_type = 'bezoekers'")
            .await
    };
    let before = count().await;
    let draft = tariff_at("0.03");
    for (ingang, message) in [
        (
            "2026-03-02T09:59",
            "Kies een ingangsmoment in de toekomst, of laat het leeg.",
        ),
        (
            "1 januari",
            "Vul een datum en tijd in, zoals 7-12-2026 10:00.",
        ),
    ] {
        let resp = bea
            .post_form(
                TARIFF,
                &[
                    ("bron", &draft),
                    ("actie", "opslaan"),
                    ("toelichting", "Te vroeg"),
                    ("ingang", ingang),
                ],
            )
            .await;
        assert_eq!(resp.status(), 422, "{ingang}");
        let page = resp.html();
        assert!(page.contains_text(message), "{ingang}");
        // The message is tied to its field.
        assert!(
            resp.text()
                .contains("aria-invalid=\"true\" aria-describedby=\"ingang-fout ingang-hint\""),
            "{ingang}"
        );
        // What was typed is kept.
        let form = page.form(TARIFF);
        assert_eq!(form.value("ingang"), Some(ingang));
        assert_eq!(form.value("bron"), Some(draft.as_str()));
    }
    assert_eq!(count().await, before);
    let refusals: Vec<_> = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "rules.saved")
        .map(|e| (e.result, e.reason))
        .collect();
    let refused = (
        "refused".to_owned(),
        Some("effective_from_invalid".to_owned()),
    );
    let unread = ("refused".to_owned(), Some("invalid_input".to_owned()));
    assert_eq!(refusals.len(), 2);
    assert!(
        refusals.contains(&refused) && refusals.contains(&unread),
        "{refusals:?}"
    );

    // Another gemeente's beheerder schedules nothing in Dijkstad.
    let wim = staff(&app, "wim@weidevelde.nl", "weidevelde", Role::TenantAdmin).await;
    let resp = wim
        .post_form(
            TARIFF,
            &[
                ("bron", &draft),
                ("actie", "opslaan"),
                ("toelichting", "Niet van mij"),
                ("ingang", "2026-04-01T00:00"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(count().await, before);
}

#[tokio::test]
async fn migration_27_keeps_the_versions_stored_before_in_force_in_their_order() {
    use crate::support::schema::{down_through, own_connection};
    use parkportal_migrations::{Migrator, MigratorTrait};
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let resp = bea
        .post_form(
            TARIFF,
            &[
                ("bron", &tariff_at("0.03")),
                ("actie", "opslaan"),
                ("toelichting", "Duurder"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let own = own_connection(&app).await;
    let db = own.connection();
    down_through(db, "m20261206_000027_rule_schedule")
        .await
        .unwrap();
    // Before scheduling: version 1 an import (no time), 2 the console's, and 3 an import made
    // after it (no time either).
    db.execute_unprepared(
        "UPDATE tariffs SET created_at = NULL WHERE version = 1 AND product_type = 'bezoekers'",
    )
    .await
    .unwrap();
    let source = tariff_at("0.04").replace('\'', "''");
    let dijkstad = app
        .sql_i64("SELECT id FROM tenants WHERE slug = 'dijkstad'")
        .await;
    db.execute_unprepared(&format!(
        "INSERT INTO tariffs (tenant_id, product_type, version, source) \
         VALUES ({dijkstad}, 'bezoekers', 3, '{source}')"
    ))
    .await
    .unwrap();
    // (An import moves the gemeente's configuration version on, so its rules are read again.)
    db.execute_unprepared(&format!(
        "UPDATE tenants SET version = version + 1 WHERE id = {dijkstad}"
    ))
    .await
    .unwrap();
    Migrator::up(db, None).await.unwrap();
    let since_always = "SELECT COUNT(*) FROM tariffs WHERE effective_from IS NULL \
                        AND product_type = 'bezoekers' AND tenant_id = ";
    assert_eq!(app.sql_i64(&format!("{since_always}{dijkstad}")).await, 1);
    // The newest stays in force, as it was: what starts now costs EUR 0.04 a minute.
    app.clock.advance(chrono::Duration::seconds(1));
    let (cost, session) = park(&app, "jan", None, at(2, 11, 0)).await;
    assert_eq!(cost, "2.40");
    assert_eq!(tariff_version_of(&app, session).await, 3);
}
