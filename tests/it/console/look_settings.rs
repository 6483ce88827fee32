//! A gemeente's settings (#24): the beheerder changes name, contact line, return address, footer
//! links and plate retention, each change on the record with its value before and after, and
//! the portal shows the new name at once; a wrong field is refused at the field with nothing
//! stored and what was typed kept; host names are the platformbeheerder's; a form opened before
//! someone else's save is refused rather than undoing it; another gemeente reaches nothing.

use super::*;

const PAGE: &str = "/beheer/dijkstad/instellingen";

async fn stored(app: &TestApp, column: &str) -> Option<String> {
    app.sql_text(&format!(
        "SELECT CAST({column} AS TEXT) FROM tenants WHERE slug = 'dijkstad'"
    ))
    .await
}

#[tokio::test]
async fn a_beheerder_changes_the_settings_on_the_record_and_the_portal_shows_them() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let page = bea.page(PAGE).await;
    let form = page.form(PAGE);
    assert_eq!(form.value("naam"), Some("Gemeente Dijkstad"));
    assert_eq!(form.value("bewaartermijn"), Some("91"));
    assert_eq!(form.value("tijdzone"), Some("Europe/Amsterdam"));
    // Host names are shown to a beheerder, not offered.
    assert!(!form.has("hostnamen") && !form.has("publieke_url"));
    assert!(page.contains_text("dijkstad.localhost"));

    let resp = bea
        .submit(
            &form,
            &[
                ("naam", "Gemeente Dijkstad-Oost"),
                ("contact", "Telefoon 14 0123"),
                (
                    "retouradres",
                    "Gemeente Dijkstad\r\nPostbus 9\r\n\r\n1230 AA  DIJKSTAD",
                ),
                ("privacy", "https://www.dijkstad.example/privacy"),
                ("contactpagina", "https://www.dijkstad.example/contact"),
                (
                    "toegankelijkheid",
                    "https://www.dijkstad.example/toegankelijkheid",
                ),
                ("bewaartermijn", "30"),
                ("taal", "en"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let after = bea.page(resp.location()).await;
    assert!(after.contains_text("De instellingen zijn opgeslagen."));
    assert_eq!(
        after.form(PAGE).value("naam"),
        Some("Gemeente Dijkstad-Oost")
    );
    assert_eq!(
        stored(&app, "name").await.as_deref(),
        Some("Gemeente Dijkstad-Oost")
    );
    assert_eq!(
        stored(&app, "plate_retention_days").await.as_deref(),
        Some("30")
    );
    assert_eq!(
        stored(&app, "letter_return_address").await.as_deref(),
        Some("Gemeente Dijkstad\nPostbus 9\n1230 AA  DIJKSTAD")
    );
    assert_eq!(
        stored(&app, "accessibility_url").await.as_deref(),
        Some("https://www.dijkstad.example/toegankelijkheid")
    );
    assert_eq!(
        stored(&app, "default_language").await.as_deref(),
        Some("en")
    );

    let entry = audit_entries(&app)
        .await
        .into_iter()
        .find(|e| e.action == "tenant.settings_changed")
        .expect("the change is on the record");
    assert_eq!(entry.result, "ok");
    assert_eq!(entry.object_id.as_deref(), Some("dijkstad"));
    let reason = entry.reason.unwrap_or_default();
    assert!(
        reason.contains(r#"name: "Gemeente Dijkstad" → "Gemeente Dijkstad-Oost""#),
        "{reason}"
    );
    assert!(
        reason.contains(r#"plate_retention_days: "91" → "30""#),
        "{reason}"
    );
    assert!(
        reason.contains(r#"privacy_url: "" → "https://www.dijkstad.example/privacy""#),
        "{reason}"
    );
    assert!(!reason.contains("time_zone"), "only what changed: {reason}");

    // The portal's pages carry the new name at once (the directory forgot what it remembered).
    let home = crate::support::html::Html::parse(&app.page("/g/dijkstad/").await);
    assert!(home.contains_text("Gemeente Dijkstad-Oost"));
    // Its footer links the gemeente's own pages, and carries the contact line.
    assert!(home.links_to("https://www.dijkstad.example/toegankelijkheid"));
    assert!(home.links_to("https://www.dijkstad.example/privacy"));
    assert!(home.contains_text("Telefoon 14 0123"));

    // The bundle carries the links.
    let tenants = app.app.as_ref().unwrap().tenants();
    let config = tenants
        .export(&"dijkstad".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        config
            .links
            .contact
            .map(|l| l.as_str().to_owned())
            .as_deref(),
        Some("https://www.dijkstad.example/contact")
    );
}

#[tokio::test]
async fn wrong_fields_are_refused_at_the_field_with_nothing_stored() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let form = bea.page(PAGE).await.form(PAGE);
    let version = stored(&app, "version").await;
    let resp = bea
        .submit(
            &form,
            &[
                ("naam", "  "),
                ("privacy", "javascript:alert(1)"),
                ("bewaartermijn", "92"),
                ("retouradres", "1\n2\n3\n4\n5"),
                ("tijdzone", "Mars/Olympus"),
                ("contact", "Telefoon\t14 0123"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422, "{}", resp.text());
    let source = resp.text();
    let page = resp.html();
    assert!(page.contains_text("Vul de naam van de gemeente in."));
    assert!(page.contains_text("Vul een aantal dagen in van 1 tot en met 91."));
    assert!(page.contains_text("Het retouradres heeft ten hoogste 4 regels"));
    assert!(page.contains_text("Kies een tijdzone uit de lijst."));
    assert!(page.contains_text("De contactregel is één regel tekst"));
    assert!(
        source.contains(r#"id="privacy" name="privacy" type="url" autocomplete="url" maxlength="300" value="javascript:alert(1)" aria-invalid="true" aria-describedby="privacy-fout privacy-hint""#),
        "the field keeps what was typed and names its error"
    );
    // What was typed stays.
    let kept = page.form(PAGE);
    assert_eq!(kept.value("contact"), Some("Telefoon\t14 0123"));
    assert_eq!(kept.value("bewaartermijn"), Some("92"));
    assert_eq!(stored(&app, "version").await, version, "nothing stored");
    let entry = audit_entries(&app).await.remove(0);
    assert_eq!(
        (
            entry.action.as_str(),
            entry.result.as_str(),
            entry.reason.as_deref()
        ),
        ("tenant.settings_changed", "refused", Some("invalid"))
    );
}

#[tokio::test]
async fn host_names_are_the_platformbeheerders_and_never_another_gemeentes() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let form = bea.page(PAGE).await.form(PAGE);
    // A beheerder's forged field is refused, and nothing else of the form is stored.
    let mut forged = form.submission(&[("naam", "Gemeente X")]);
    forged.push(("hostnamen".into(), "parkeren.dijkstad.nl".into()));
    let pairs: Vec<(&str, &str)> = forged
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let resp = bea.post_form(PAGE, &pairs).await;
    assert_eq!(resp.status(), 403, "{}", resp.text());
    assert!(
        resp.html()
            .contains_text("Alleen een platformbeheerder wijzigt de hostnamen")
    );
    assert_eq!(
        stored(&app, "name").await.as_deref(),
        Some("Gemeente Dijkstad")
    );

    let admin = platform_admin(&app, "root@platform.nl").await;
    let form = admin.page(PAGE).await.form(PAGE);
    assert_eq!(form.value("hostnamen"), Some("dijkstad.localhost"));
    // The same name twice, apart: refused at the field, not at the database.
    let twice = admin
        .submit(
            &form,
            &[("hostnamen", "a.dijkstad.nl\nb.dijkstad.nl\nA.dijkstad.nl")],
        )
        .await;
    assert_eq!(twice.status(), 422, "{}", twice.text());
    assert!(
        twice
            .html()
            .contains_text("Een hostnaam staat er twee keer in.")
    );
    let taken = admin
        .submit(
            &form,
            &[("hostnamen", "dijkstad.localhost\nhavenmond.localhost")],
        )
        .await;
    assert_eq!(taken.status(), 422, "{}", taken.text());
    assert!(
        taken
            .html()
            .contains_text("havenmond.localhost is al een adres van gemeente havenmond.")
    );
    let resp = admin
        .submit(
            &form,
            &[
                ("hostnamen", "dijkstad.localhost\nParkeren.Dijkstad.NL"),
                ("publieke_url", "https://parkeren.dijkstad.nl/"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM tenant_hosts WHERE host = 'parkeren.dijkstad.nl'")
            .await,
        1
    );
    assert_eq!(
        stored(&app, "public_url").await.as_deref(),
        Some("https://parkeren.dijkstad.nl")
    );
    let reason = audit_entries(&app)
        .await
        .remove(0)
        .reason
        .unwrap_or_default();
    assert!(
        reason
            .contains(r#"hosts: "dijkstad.localhost" → "dijkstad.localhost parkeren.dijkstad.nl""#),
        "{reason}"
    );
}

#[tokio::test]
async fn a_form_opened_before_another_save_does_not_undo_it() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let ans = staff(&app, "ans@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let bea_form = bea.page(PAGE).await.form(PAGE);
    let ans_form = ans.page(PAGE).await.form(PAGE);
    let first = bea.submit(&bea_form, &[("contact", "Bel 14 0123")]).await;
    assert_eq!(first.status(), 303);
    let late = ans.submit(&ans_form, &[("bewaartermijn", "14")]).await;
    assert_eq!(late.status(), 409, "{}", late.text());
    let page = late.html();
    assert!(page.contains_text("Iemand anders heeft de instellingen"));
    assert_eq!(
        stored(&app, "letter_contact").await.as_deref(),
        Some("Bel 14 0123")
    );
    assert_eq!(
        stored(&app, "plate_retention_days").await.as_deref(),
        Some("91")
    );
    // Saved again from the page shown: a deliberate choice, which now holds.
    let again = ans.submit(&page.form(PAGE), &[]).await;
    assert_eq!(again.status(), 303, "{}", again.text());
    assert_eq!(
        stored(&app, "plate_retention_days").await.as_deref(),
        Some("14")
    );
}

#[tokio::test]
async fn another_gemeentes_beheerder_and_a_medewerker_reach_nothing() {
    let app = TestApp::spawn().await;
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::TenantAdmin).await;
    let mia = staff(&app, "mia@dijkstad.nl", "dijkstad", Role::Staff).await;
    let own = piet
        .page("/beheer/havenmond/instellingen")
        .await
        .form("/beheer/havenmond/instellingen");
    for who in [&piet, &mia] {
        assert!(matches!(who.get(PAGE).await.status(), 403 | 404));
        let resp = who
            .post_form(
                PAGE,
                &own.submission(&[("naam", "Overgenomen")])
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<Vec<_>>(),
            )
            .await;
        assert!(matches!(resp.status(), 403 | 404), "{}", resp.status());
    }
    assert_eq!(
        stored(&app, "name").await.as_deref(),
        Some("Gemeente Dijkstad")
    );
}
