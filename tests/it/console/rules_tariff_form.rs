//! The tariff as a form (#23): the form opens on the tariff in force, field by field; a change
//! made in it is checked (prices shown) and saved as a new version whose file parses to what the
//! form said, and prices the next session; a field that is wrong is refused at the field and
//! nothing is stored; another gemeente's beheerder reaches nothing.

use super::*;
use serde_json::json;

const FORM: &str = "/beheer/dijkstad/regels/bezoekers/tarief/formulier";
const TARIFF: &str = "/beheer/dijkstad/regels/bezoekers/tarief";

/// Posts `fields` (name, value) as the browser would send them.
async fn post(bea: &Staff, fields: &[(String, String)]) -> crate::support::response::Response {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    bea.post_form(FORM, &pairs).await
}

async fn versions(app: &TestApp) -> i64 {
    app.sql_i64("SELECT COUNT(*) FROM tariffs t JOIN tenants g ON g.id = t.tenant_id WHERE g.slug = 'dijkstad'")
        .await
}

#[tokio::test]
async fn the_form_shows_the_tariff_in_force_and_saves_a_change_as_a_version_that_prices() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let editor = bea.page(TARIFF).await;
    assert!(editor.links_to(FORM));
    let page = bea.page(FORM).await;
    let form = page.form(FORM);
    // Dijkstad: Monday to Saturday 09:00-22:00 and Sunday 12:00-17:00, EUR 0.02 a minute.
    let ticked = |name: &str| -> Vec<String> {
        form.fields
            .iter()
            .filter(|f| f.name == name && f.checked)
            .map(|f| f.value.clone())
            .collect()
    };
    assert_eq!(
        ticked("tijdvak0_dag"),
        [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday"
        ]
    );
    assert_eq!(form.value("tijdvak0_van"), Some("09:00"));
    assert_eq!(form.value("tijdvak0_tot"), Some("22:00"));
    assert_eq!(ticked("tijdvak1_dag"), ["sunday"]);
    assert_eq!(form.value("tijdvak1_van"), Some("12:00"));
    assert_eq!(ticked("tijdvak0_recht"), ["ja"]);
    assert_eq!(form.value("deel0_stap"), Some("1"));
    assert_eq!(form.value("deel0_bedrag"), Some("0.02"));
    // Empty rows to add a frame and a part.
    assert!(form.has("tijdvak3_van") && form.has("deel1_stap"));
    assert!(!form.has("tijdvak4_van"));

    // Checked at EUR 0.03 a minute: the week's prices.
    let dearer = form.submission(&[("deel0_bedrag", "0,03"), ("actie", "controleer")]);
    let resp = post(&bea, &dearer).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let checked = resp.html();
    assert!(checked.contains_text("Geen fouten gevonden."));
    assert_eq!(
        checked.row("maandag 09-03-2026")[1..],
        ["€ 1,80", "€ 3,60", "€ 23,40"]
    );
    // What was typed stays, with as many empty rows as before.
    let kept = checked.form(FORM);
    assert_eq!(kept.value("deel0_bedrag"), Some("0,03"));
    assert!(kept.has("tijdvak3_van") && !kept.has("tijdvak4_van"));
    assert!(kept.has("deel1_stap") && !kept.has("deel2_stap"));

    // Saved: without Sunday, with a free Christmas day, from 10:00 on.
    let before = versions(&app).await;
    let change = checked.form(FORM).submission(&[
        ("tijdvak1_weg", "ja"),
        ("vrije_dagen", "2026-12-25"),
        ("toelichting", "Zondag gratis, kerst vrij"),
        ("actie", "opslaan"),
    ]);
    let resp = post(&bea, &change).await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert_eq!(
        resp.location(),
        format!("{TARIFF}?gedaan=opgeslagen&versie={}", before + 1)
    );
    let stored = app
        .sql_text(&format!(
            "SELECT source FROM tariffs WHERE version = {} AND product_type = 'bezoekers' \
             AND tenant_id = (SELECT id FROM tenants WHERE slug = 'dijkstad')",
            before + 1
        ))
        .await
        .unwrap();
    assert_eq!(
        stored,
        "unit = \"money\"\nfree_dates = [\"2026-12-25\"]\n\n[[time_frame]]\n\
         days = [\"monday\", \"tuesday\", \"wednesday\", \"thursday\", \"friday\", \"saturday\"]\n\
         start = \"09:00\"\nend = \"22:00\"\n\n[[fare_part]]\nstep_minutes = 1\namount = \"0.03\"\n"
    );
    let entry = audit_entries(&app)
        .await
        .into_iter()
        .find(|e| e.action == "rules.saved" && e.result == "ok")
        .unwrap();
    assert_eq!(entry.object_kind.as_deref(), Some("tariff"));
    // The next session pays the new price: an hour from 10:00 is EUR 1.80.
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let (status, s) = jan
        .start(
            &app,
            json!({"plate": "ab-12-34", "end": crate::support::at(2, 11, 0).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201, "{s}");
    assert_eq!(s["cost"], json!({"value": "1.80", "unit": "EUR"}));
    // The form now shows one frame.
    let again = bea.page(FORM).await.form(FORM);
    assert_eq!(again.value("tijdvak0_van"), Some("09:00"));
    assert_eq!(again.value("tijdvak1_van"), Some(""));
    assert_eq!(again.value("vrije_dagen"), Some("2026-12-25"));
}

#[tokio::test]
async fn a_wrong_field_is_refused_at_the_field_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let form = bea.page(FORM).await.form(FORM);
    let before = versions(&app).await;
    for (overrides, field, message) in [
        (
            vec![("tijdvak0_van", "25:00")],
            "tijdvak0_van",
            "Vul een tijd in als 09:00.",
        ),
        (
            vec![("tijdvak2_van", "08:00"), ("tijdvak2_tot", "09:00")],
            "tijdvak2_dagen",
            "Kies minstens één dag, of vul een bijzondere datum in.",
        ),
        (
            vec![("deel0_bedrag", "-1")],
            "deel0_bedrag",
            "Vul een bedrag in dat niet negatief is, zoals 0,02.",
        ),
    ] {
        let mut all = overrides.clone();
        all.extend([("toelichting", "Fout"), ("actie", "opslaan")]);
        let resp = post(&bea, &form.submission(&all)).await;
        assert_eq!(resp.status(), 422, "{field}");
        let page = resp.html();
        assert!(page.contains_text(message), "{field}");
        assert!(
            resp.text().contains(&format!("id=\"{field}-fout\"")),
            "{field}"
        );
        assert_eq!(page.form(FORM).value(overrides[0].0), Some(overrides[0].1));
    }
    // A form the tariff engine refuses (a frame ending before it starts): its problem named.
    let resp = post(
        &bea,
        &form.submission(&[("tijdvak0_tot", "08:00"), ("actie", "controleer")]),
    )
    .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.html().contains_text("ends before it starts"));
    assert_eq!(versions(&app).await, before);

    // Another gemeente's beheerder reaches neither page.
    let wim = staff(&app, "wim@weidevelde.nl", "weidevelde", Role::TenantAdmin).await;
    assert_eq!(wim.get(FORM).await.status(), 404);
    let resp = wim
        .post_form(
            FORM,
            &[
                ("deel0_stap", "1"),
                ("deel0_bedrag", "9"),
                ("actie", "opslaan"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(versions(&app).await, before);
}
