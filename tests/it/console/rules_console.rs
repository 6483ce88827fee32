//! The rules console (#23): a beheerder checks a tariff or script (problems with their lines,
//! the price preview), saves it as a version with a comment (audited with the versions before
//! and after), and the next session is priced by it; a medewerker, another gemeente's
//! beheerder and a draft that does not compile change nothing.

use super::*;
use serde_json::json;

const TARIFF: &str = "/beheer/dijkstad/regels/bezoekers/tarief";
const SCRIPT: &str = "/beheer/dijkstad/regels/bezoekers/script";

/// Dijkstad's tariff with `amount` a minute instead of EUR 0.02.
pub(super) fn tariff_at(amount: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tenants/dijkstad/tariffs/bezoekers.toml"),
    )
    .unwrap()
    .replace("amount = \"0.02\"", &format!("amount = \"{amount}\""))
}

/// What a new resident of Dijkstad pays for the hour from 10:00 the clock stands on.
async fn an_hour(app: &TestApp) -> serde_json::Value {
    let jan = resident(app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let end = crate::support::at(2, 11, 0).to_rfc3339();
    let (status, s) = jan
        .start(app, json!({"plate": "ab-12-34", "end": end}))
        .await;
    assert_eq!(status, 201, "{s}");
    s["cost"].clone()
}

async fn versions(app: &TestApp, table: &str) -> i64 {
    app.sql_i64(&format!(
        "SELECT COUNT(*) FROM {table} t JOIN tenants g ON g.id = t.tenant_id \
         WHERE g.slug = 'dijkstad' AND t.product_type = 'bezoekers'"
    ))
    .await
}

#[tokio::test]
async fn a_checked_tariff_shows_its_prices_and_saved_with_a_comment_prices_the_next_session() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let list = bea.page("/beheer/dijkstad/regels").await;
    assert_eq!(
        list.row("Bezoekersregeling (bezoekers)")[1..],
        [
            "versie 1: regelscript van Bezoekersregeling bewerken",
            "versie 1: tarief van Bezoekersregeling bewerken"
        ]
    );
    assert!(list.links_to(SCRIPT) && list.links_to(TARIFF));
    let editor = bea.page(TARIFF).await;
    // Without JavaScript a textarea; with it, line numbers and highlighting from the console's
    // own script (no CDN).
    let script = editor.scripts();
    assert_eq!(script, ["/beheer/static/rules_editor.js"]);
    let js = bea.get(&script[0]).await;
    assert_eq!(js.status(), 200);
    assert!(js.text().contains("cc-editor__gutter"));
    let form = editor.form(TARIFF);
    assert_eq!(form.value("bron"), Some(tariff_at("0.02").as_str()));
    let before = versions(&app, "tariffs").await;

    // Checked: EUR 0.03 a minute is EUR 1.80 an hour, 09:00-22:00 on weekdays and Saturday
    // (13 hours, EUR 23.40), 12:00-17:00 on Sunday (nothing from 10:00 to 12:00, EUR 9.00).
    let draft = tariff_at("0.03");
    let resp = bea
        .post_form(
            TARIFF,
            &[
                ("bron", &draft.replace('\n', "\r\n")),
                ("actie", "controleer"),
                ("van", "2026-03-09T10:00"),
                ("tot", "2026-03-09T10:30"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let checked = resp.html();
    assert!(checked.contains_text("Geen fouten gevonden."));
    assert_eq!(
        checked.row("maandag 09-03-2026")[1..],
        ["€ 1,80", "€ 3,60", "€ 23,40"]
    );
    assert_eq!(
        checked.row("zondag 15-03-2026")[1..],
        ["€ 0,00", "€ 0,00", "€ 9,00"]
    );
    assert!(checked.contains_text("Van 2026-03-09 10:00 tot 2026-03-09 10:30: € 0,90."));
    // The draft is kept as typed; a check stores nothing.
    assert_eq!(checked.form(TARIFF).value("bron"), Some(draft.as_str()));
    assert_eq!(versions(&app, "tariffs").await, before);

    // Saved without a comment: refused at its field, the draft kept.
    let resp = bea
        .post_form(
            TARIFF,
            &[("bron", &draft), ("actie", "opslaan"), ("toelichting", " ")],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let refused = resp.html();
    assert!(refused.contains_text("Vul een toelichting in van maximaal 500 tekens."));
    assert!(resp.text().contains("aria-invalid=\"true\""));
    assert_eq!(refused.form(TARIFF).value("bron"), Some(draft.as_str()));
    assert_eq!(versions(&app, "tariffs").await, before);

    // Saved with one: a new version, in force at once.
    let resp = bea
        .post_form(
            TARIFF,
            &[
                ("bron", &draft),
                ("actie", "opslaan"),
                ("toelichting", "Tarief 2027"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let location = resp.location();
    assert_eq!(
        location,
        format!("{TARIFF}?gedaan=opgeslagen&versie={}", before + 1)
    );
    let saved = bea.page(location).await;
    assert!(saved.contains_text(&format!("Opgeslagen als versie {}.", before + 1)));
    let newest = saved.row(&format!("versie {} (geldt nu)", before + 1));
    // Saved for at once: in force from the moment it was made.
    assert_eq!(
        newest[1..],
        [
            "02-03-2026 10:00",
            "02-03-2026 10:00",
            "bea@dijkstad.nl",
            "Tarief 2027",
            "versie 1 met 2"
        ]
    );
    assert_eq!(versions(&app, "tariffs").await, before + 1);
    let entry = audit_entries(&app)
        .await
        .into_iter()
        .find(|e| e.action == "rules.saved")
        .unwrap();
    assert_eq!(entry.actor, "bea@dijkstad.nl");
    assert_eq!(entry.object_kind.as_deref(), Some("tariff"));
    assert_eq!(entry.object_id.as_deref(), Some("bezoekers"));
    assert_eq!(
        entry.reason.as_deref(),
        Some(format!("{before} → {}", before + 1).as_str())
    );
    // The stored source is the file's own, without the form's carriage returns.
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT COUNT(*) FROM tariffs WHERE version = {} AND source LIKE '%amount = \"0.03\"%' \
             AND LENGTH(source) = {}",
            before + 1,
            draft.len()
        ))
        .await,
        1
    );

    // The next session is priced by it: an hour costs EUR 1.80.
    assert_eq!(an_hour(&app).await, json!({"value": "1.80", "unit": "EUR"}));

    // The same again changes nothing.
    let resp = bea
        .post_form(
            TARIFF,
            &[
                ("bron", &draft),
                ("actie", "opslaan"),
                ("toelichting", "Nog eens"),
            ],
        )
        .await;
    assert_eq!(resp.location(), format!("{TARIFF}?gedaan=ongewijzigd"));
    assert_eq!(versions(&app, "tariffs").await, before + 1);
    // The version's own page shows its lines.
    let page = bea.page(&format!("{TARIFF}/versies/{}", before + 1)).await;
    assert!(page.contains_text("amount = \"0.03\""));
    assert!(page.contains_text("Tarief 2027"));
    assert_eq!(bea.get(&format!("{TARIFF}/versies/99")).await.status(), 404);
}

#[tokio::test]
async fn a_script_that_does_not_compile_is_named_at_its_line_and_never_stored() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let before = versions(&app, "rule_scripts").await;
    let broken = "fn max_concurent_sessions(ctx) { 3 }\n\nfn end_of_day_deactivation(ctx) {\n  let x = ;\n}\n";
    for actie in ["controleer", "opslaan"] {
        let resp = bea
            .post_form(
                SCRIPT,
                &[("bron", broken), ("actie", actie), ("toelichting", "Kapot")],
            )
            .await;
        assert_eq!(resp.status(), 422, "{actie}");
        let html = resp.html();
        assert!(
            html.contains_text("regel 4, kolom"),
            "{actie}: {}",
            html.text()
        );
        assert_eq!(html.form(SCRIPT).value("bron"), Some(broken), "{actie}");
    }
    // Compiling, a hook's name one letter off is named at its line.
    let typo = "// Dijkstad\nfn max_concurent_sessions(ctx) { 3 }\n";
    let resp = bea
        .post_form(
            SCRIPT,
            &[("bron", typo), ("actie", "opslaan"), ("toelichting", "x")],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let html = resp.html();
    assert!(html.contains_text("regel 2, kolom 1"), "{}", html.text());
    assert!(html.contains_text("did you mean max_concurrent_sessions?"));
    assert!(html.contains_text("Niet opgeslagen: los eerst de fouten op."));
    assert_eq!(versions(&app, "rule_scripts").await, before);
    // Each attempt is on the record, refused with its code: the check, two saves.
    let entries = audit_entries(&app).await;
    let tried: Vec<_> = entries
        .iter()
        .filter(|e| e.action.starts_with("rules."))
        .map(|e| {
            (
                e.action.as_str(),
                e.result.as_str(),
                e.reason.as_deref(),
                e.object_id.as_deref(),
            )
        })
        .collect();
    let refused = Some("rules_invalid");
    let about = Some("bezoekers");
    assert_eq!(
        tried,
        [
            ("rules.saved", "refused", refused, about),
            ("rules.saved", "refused", refused, about),
            ("rules.checked", "refused", refused, about),
        ]
    );
}

#[tokio::test]
async fn only_the_gemeentes_beheerders_reach_its_rules() {
    let app = TestApp::spawn().await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::TenantAdmin).await;
    let before = versions(&app, "tariffs").await;
    let draft = tariff_at("0.05");
    for who in [&an, &piet] {
        for path in [
            "/beheer/dijkstad/regels",
            TARIFF,
            &format!("{TARIFF}/versies/1"),
        ] {
            let status = who.get(path).await.status();
            assert!(status == 403 || status == 404, "{path}: {status}");
        }
        let resp = who
            .post_form(
                TARIFF,
                &[("bron", &draft), ("actie", "opslaan"), ("toelichting", "x")],
            )
            .await;
        assert!(matches!(resp.status(), 403 | 404), "{}", resp.status());
    }
    assert_eq!(versions(&app, "tariffs").await, before);
    // Havenmond's own beheerder finds no Dijkstad type in Havenmond.
    assert_eq!(
        piet.get("/beheer/havenmond/regels/onbekend/tarief")
            .await
            .status(),
        404
    );
    assert_eq!(
        piet.get("/beheer/havenmond/regels/bezoekers/iets")
            .await
            .status(),
        404
    );
}

/// Saves `source` as a new version of Dijkstad's tariff with `comment`; the new version.
async fn save_tariff(bea: &Staff, source: &str, comment: &str) -> String {
    let location = save_tariff_from(bea, source, comment, "").await;
    location.rsplit('=').next().unwrap().to_owned()
}

/// Saves `source` as a new version of Dijkstad's tariff with `comment`, taking effect from
/// `ingang` (local; empty: at once); where the save leads.
pub(super) async fn save_tariff_from(
    bea: &Staff,
    source: &str,
    comment: &str,
    ingang: &str,
) -> String {
    let resp = bea
        .post_form(
            TARIFF,
            &[
                ("bron", source),
                ("actie", "opslaan"),
                ("toelichting", comment),
                ("ingang", ingang),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    resp.location().to_owned()
}

#[tokio::test]
async fn the_diff_shows_what_changed_and_going_back_is_a_new_version() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    assert_eq!(save_tariff(&bea, &tariff_at("0.03"), "Duurder").await, "2");
    assert_eq!(
        save_tariff(&bea, &tariff_at("0.04"), "Nog duurder").await,
        "3"
    );

    // By default the two newest; the changed line removed from one and added in the other.
    let resp = bea.get(&format!("{TARIFF}/verschil")).await;
    assert_eq!(resp.status(), 200);
    let html = resp.text();
    assert!(html.contains("versie 2 en 3 vergeleken"), "{html}");
    assert!(
        html.contains("- amount = &quot;0.03&quot;</del>")
            || html.contains("- amount = \"0.03\"</del>"),
        "{html}"
    );
    assert!(
        html.contains("+ amount = &quot;0.04&quot;</ins>")
            || html.contains("+ amount = \"0.04\"</ins>"),
        "{html}"
    );
    assert_eq!(html.matches("<del>").count(), 1);
    assert_eq!(html.matches("<ins>").count(), 1);
    let any = bea.page(&format!("{TARIFF}/verschil?van=1&naar=3")).await;
    assert!(any.contains_text("versie 1 en 3 vergeleken"));
    let same = bea.page(&format!("{TARIFF}/verschil?van=3&naar=3")).await;
    assert!(same.contains_text("Deze versies zijn gelijk."));
    assert_eq!(
        bea.get(&format!("{TARIFF}/verschil?van=99")).await.status(),
        404
    );

    // Going back asks a comment, then makes version 4 equal to version 1.
    let first = bea.page(&format!("{TARIFF}/versies/1")).await;
    let form = first.form(&format!("{TARIFF}/versies/1"));
    assert!(form.has("toelichting"));
    let resp = bea
        .post_form(&format!("{TARIFF}/versies/1"), &[("toelichting", "")])
        .await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html()
            .contains_text("Vul een toelichting in van maximaal 500 tekens.")
    );
    let resp = bea
        .post_form(
            &format!("{TARIFF}/versies/1"),
            &[("toelichting", "Terug naar 2026")],
        )
        .await;
    assert_eq!(
        resp.location(),
        format!("{TARIFF}?gedaan=opgeslagen&versie=4")
    );
    assert_eq!(
        app.sql_i64(
            "SELECT COUNT(*) FROM tariffs a JOIN tariffs b ON a.source = b.source \
             AND a.tenant_id = b.tenant_id AND a.product_type = b.product_type \
             WHERE a.version = 1 AND b.version = 4 AND b.comment = 'Terug naar 2026'"
        )
        .await,
        1
    );
    let entries = audit_entries(&app).await;
    let restored: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "rules.restored")
        .map(|e| (e.result.as_str(), e.reason.as_deref()))
        .collect();
    assert_eq!(
        restored,
        [("ok", Some("3 → 4")), ("refused", Some("comment_invalid"))]
    );
    // In force at once: an hour costs EUR 1.20 again.
    assert_eq!(an_hour(&app).await["value"], "1.20");
    let now = bea.page(&format!("{TARIFF}/versies/4")).await;
    assert!(now.contains_text("Dit is de versie die nu geldt."));
    assert!(
        !now.contains_text("Terug naar versie 4"),
        "no way back to itself"
    );

    // Another gemeente's beheerder goes back to nothing.
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::TenantAdmin).await;
    let resp = piet
        .post_form(&format!("{TARIFF}/versies/2"), &[("toelichting", "x")])
        .await;
    assert!(matches!(resp.status(), 403 | 404), "{}", resp.status());
    assert_eq!(versions(&app, "tariffs").await, 4);
}

#[tokio::test]
async fn a_script_failing_as_it_prices_is_refused_and_a_source_keeps_its_first_empty_line() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let before = versions(&app, "rule_scripts").await;
    // It compiles, but fails on every price: never stored.
    let failing = "fn cost(ctx) { throw \"kapot\"; }\n";
    let resp = bea
        .post_form(
            SCRIPT,
            &[
                ("bron", failing),
                ("actie", "opslaan"),
                ("toelichting", "x"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.html().contains_text("kapot"), "{}", resp.html().text());
    assert_eq!(versions(&app, "rule_scripts").await, before);

    // A source that begins with an empty line comes back as it was, and again is unchanged.
    let source = "\n// Dijkstad\nfn max_concurrent_sessions(ctx) { 4 }\n";
    let resp = bea
        .post_form(
            SCRIPT,
            &[
                ("bron", source),
                ("actie", "opslaan"),
                ("toelichting", "Vier"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let editor = bea.page(SCRIPT).await;
    let kept = editor.form(SCRIPT);
    assert_eq!(kept.value("bron"), Some(source));
    let resp = bea
        .submit(&kept, &[("actie", "opslaan"), ("toelichting", "Nogmaals")])
        .await;
    assert_eq!(resp.location(), format!("{SCRIPT}?gedaan=ongewijzigd"));
    let unchanged = audit_entries(&app)
        .await
        .into_iter()
        .find(|e| e.action == "rules.saved")
        .unwrap();
    assert_eq!(
        unchanged.reason,
        Some(format!("{} unchanged", before + 1)),
        "the attempt is on the record"
    );

    // A preview of more than 31 days is not priced.
    let resp = bea
        .post_form(
            TARIFF,
            &[
                ("bron", &tariff_at("0.02")),
                ("actie", "controleer"),
                ("van", "2026-03-09T10:00"),
                ("tot", "2027-03-09T10:00"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html()
            .contains_text("Kies een periode van maximaal 31 dagen.")
    );
}
