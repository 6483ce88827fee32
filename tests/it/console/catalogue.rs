//! A gemeente's catalogue (#24): the beheerder adds, edits, retires and deletes zones with
//! their postcode ranges, and adds, edits and retires product types; each change on the record
//! with the item before and after. A retired zone or type issues nothing new (console, desk,
//! admin API) while its products keep working; what has products is never deleted nor changes
//! its unit; overlapping postcodes are refused at the field; another gemeente reaches nothing.

use super::*;
use parkportal_domain::coupling::{IssueError, IssueRequest};
use serde_json::json;

const ZONES: &str = "/beheer/dijkstad/zones";
const TYPES: &str = "/beheer/dijkstad/producttypen";

/// The stored text of `column` of Dijkstad's zone `code`.
async fn zone_column(app: &TestApp, code: &str, column: &str) -> Option<String> {
    app.sql_text(&format!(
        "SELECT CAST(z.{column} AS TEXT) FROM zones z JOIN tenants t ON t.id = z.tenant_id \
         WHERE t.slug = 'dijkstad' AND z.code = '{code}'"
    ))
    .await
}

/// The configuration's version, which every form sends back.
async fn version(app: &TestApp) -> String {
    app.sql_text("SELECT CAST(version AS TEXT) FROM tenants WHERE slug = 'dijkstad'")
        .await
        .unwrap()
}

/// Presses the button `actie` on the page at `path` (retire, restore, delete) with the form's
/// version as it is now.
async fn press(
    app: &TestApp,
    who: &Staff,
    path: &str,
    actie: &str,
) -> crate::support::response::Response {
    who.post_form(path, &[("actie", actie), ("versie", &version(app).await)])
        .await
}

/// Issues a product of Dijkstad as the desk does.
async fn issue(app: &TestApp, request: IssueRequest) -> Result<i64, IssueError> {
    let desk = app.app.as_ref().unwrap().state().desk();
    desk.issue(IssueRequest {
        tenant: "dijkstad".into(),
        ..request
    })
    .await
    .map(|issued| issued.id.0)
}

/// `POST /api/admin/v1/products` with `field` set to `value`: the status and answer.
async fn issue_by_api(app: &TestApp, field: &str, value: &str) -> (u16, serde_json::Value) {
    let k = crate::admin_api::key(app, "dijkstad", "koppeling", "products:issue").await;
    let mut body = json!({"recipient": {"name": "J. de Vries", "street": "Kerkstraat",
        "house_number": "12", "postcode": "1234AB", "city": "Dijkstad"}});
    body[field] = json!(value);
    let resp = reqwest::Client::new()
        .post(format!("{}/api/admin/v1/products", app.url))
        .bearer_auth(&k)
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

/// The code of the zone product `id` lies in.
async fn zone_of(app: &TestApp, id: i64) -> String {
    app.sql_text(&format!(
        "SELECT z.code FROM products p JOIN zones z ON z.id = p.zone_id WHERE p.id = {id}"
    ))
    .await
    .unwrap()
}

/// An hour from the server's clock.
fn in_an_hour(app: &TestApp) -> chrono::DateTime<chrono::Utc> {
    app.app.as_ref().unwrap().state().clock().now() + Duration::hours(1)
}

#[tokio::test]
async fn a_beheerder_adds_edits_and_deletes_a_zone_on_the_record() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let list = bea.page(ZONES).await;
    assert!(list.contains_text("Binnenstad") && list.contains_text("Noordoever"));
    let new = format!("{ZONES}/nieuw");
    let form = bea.page(&new).await.form(&new);
    let resp = bea
        .submit(
            &form,
            &[
                ("code", "oost"),
                ("naam", "Oost"),
                ("postcodes", "3511-3514\r\n3520ab"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert_eq!(
        resp.location(),
        "/beheer/dijkstad/zones/oost?gedaan=aangemaakt"
    );
    assert!(
        bea.page(resp.location())
            .await
            .contains_text("De zone is toegevoegd.")
    );
    assert_eq!(
        zone_column(&app, "oost", "postcodes").await.as_deref(),
        Some("3511-3514\n3520 AB")
    );
    let entry = newest(&app, "zone.created").await;
    assert_eq!(entry.result, "ok");
    assert_eq!(entry.object_id.as_deref(), Some("dijkstad/oost"));
    let reason = entry.reason.unwrap_or_default();
    assert!(
        reason.contains(
            r#"zone oost: (none) → name "Oost", postcodes "3511-3514, 3520 AB", retired false"#
        ),
        "{reason}"
    );

    // A zone in use may not share a postcode with another: refused at the field, kept as typed.
    let path = "/beheer/dijkstad/zones/binnenstad";
    let form = bea.page(path).await.form(path);
    let before = version(&app).await;
    let resp = bea
        .submit(&form, &[("postcodes", "3400-3599"), ("naam", "Centrum")])
        .await;
    assert_eq!(resp.status(), 422);
    let page = resp.html();
    assert!(
        page.contains_text("Deze postcodes vallen (deels) ook in zone Oost."),
        "{}",
        page.text()
    );
    assert_eq!(page.form(path).value("postcodes"), Some("3400-3599"));
    assert_eq!(page.form(path).value("naam"), Some("Centrum"));
    assert_eq!(version(&app).await, before, "nothing stored");
    assert_eq!(newest(&app, "zone.changed").await.result, "refused");

    // A code is given once; a line that is no postcode is named.
    let form = bea.page(&new).await.form(&new);
    let resp = bea
        .submit(
            &form,
            &[("code", "oost"), ("naam", "Twee"), ("postcodes", "hier")],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let page = resp.html();
    assert!(page.contains_text("Die code is al in gebruik bij deze gemeente."));
    assert!(page.contains_text("„hier” is geen postcode of reeks postcodes."));

    // Renamed, then deleted: it has no products.
    let path = "/beheer/dijkstad/zones/oost";
    let form = bea.page(path).await.form(path);
    let resp = bea.submit(&form, &[("naam", "Oost-Dijkstad")]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert_eq!(
        zone_column(&app, "oost", "name").await.as_deref(),
        Some("Oost-Dijkstad")
    );
    let reason = newest(&app, "zone.changed")
        .await
        .reason
        .unwrap_or_default();
    assert!(reason.contains(r#"name "Oost""#) && reason.contains(r#"name "Oost-Dijkstad""#));
    let page = bea.page(path).await;
    assert!(page.contains_text("Deze zone heeft geen producten en kan worden verwijderd."));
    let resp = press(&app, &bea, path, "verwijderen").await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert_eq!(resp.location(), "/beheer/dijkstad/zones?gedaan=verwijderd");
    assert_eq!(zone_column(&app, "oost", "name").await, None);
    assert_eq!(
        newest(&app, "zone.deleted").await.object_id.as_deref(),
        Some("dijkstad/oost")
    );
    assert_eq!(bea.get(path).await.status(), 404);
}

#[tokio::test]
async fn a_retired_zone_issues_nothing_new_and_its_products_keep_working() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    assert_eq!(zone_of(&app, jan.product).await, "binnenstad");

    let path = "/beheer/dijkstad/zones/binnenstad";
    let page = bea.page(path).await;
    assert!(
        page.contains_text("Deze zone heeft producten (1) en kan daarom niet worden verwijderd")
    );
    // Deleting it anyway (a form from before the product) is refused, and on the record.
    let resp = press(&app, &bea, path, "verwijderen").await;
    assert_eq!(resp.status(), 409);
    assert!(
        resp.html()
            .contains_text("een zone met producten wordt niet verwijderd")
    );
    assert_eq!(newest(&app, "zone.deleted").await.result, "refused");
    assert_eq!(
        zone_column(&app, "binnenstad", "name").await.as_deref(),
        Some("Binnenstad")
    );

    let resp = press(&app, &bea, path, "buiten_gebruik").await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert!(
        bea.page(resp.location())
            .await
            .contains_text("De zone is buiten gebruik gesteld.")
    );
    assert!(
        zone_column(&app, "binnenstad", "retired_at")
            .await
            .is_some()
    );
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'zone.retired'")
            .await,
        1,
        "one entry for one POST"
    );
    let reason = newest(&app, "zone.retired")
        .await
        .reason
        .unwrap_or_default();
    assert!(
        reason.contains("retired false → name \"Binnenstad\""),
        "{reason}"
    );
    assert!(reason.ends_with("retired true"), "{reason}");

    // Nothing new in it: not by the desk, not by the API, not offered by the console's form.
    let refused = issue(
        &app,
        IssueRequest {
            zone: Some("binnenstad".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), Some("zone_retired"));
    let (status, body) = issue_by_api(&app, "zone", "binnenstad").await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "zone_retired", "{body}");
    let issue_page = bea.page("/beheer/dijkstad/producten/uitgeven").await;
    let form = issue_page.form("/beheer/dijkstad/producten/uitgeven");
    assert_eq!(
        form.value("zone"),
        Some("stationsgebied"),
        "the first zone in use"
    );
    assert!(!issue_page.contains_text("Binnenstad"));
    // Unnamed, the zone is the first in use.
    let id = issue(&app, IssueRequest::default()).await.unwrap();
    assert_eq!(zone_of(&app, id).await, "stationsgebied");

    // The product it has keeps working: its resident parks.
    jan.park(&app, "AB-12-34", in_an_hour(&app)).await;

    // In use again, it issues again.
    let resp = press(&app, &bea, path, "in_gebruik").await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert_eq!(zone_column(&app, "binnenstad", "retired_at").await, None);
    let id = issue(
        &app,
        IssueRequest {
            zone: Some("binnenstad".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(zone_of(&app, id).await, "binnenstad");
}

#[tokio::test]
async fn the_last_zone_in_use_stays() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    for code in ["binnenstad", "stationsgebied"] {
        let path = format!("{ZONES}/{code}");
        let resp = press(&app, &bea, &path, "buiten_gebruik").await;
        assert_eq!(resp.status(), 303, "{}", resp.text());
    }
    let path = format!("{ZONES}/noordoever");
    let resp = press(&app, &bea, &path, "buiten_gebruik").await;
    assert_eq!(resp.status(), 409);
    assert!(
        resp.html()
            .contains_text("Dit is de laatste zone in gebruik.")
    );
    assert_eq!(zone_column(&app, "noordoever", "retired_at").await, None);
    assert_eq!(newest(&app, "zone.retired").await.result, "refused");
    // A form from before another save is refused, not laid over it.
    let resp = bea
        .post_form(
            &format!("{ZONES}/binnenstad"),
            &[("actie", "in_gebruik"), ("versie", "1")],
        )
        .await;
    assert_eq!(resp.status(), 409);
    assert!(
        resp.html()
            .contains_text("Iemand anders heeft de gemeente intussen gewijzigd.")
    );
}

#[tokio::test]
async fn a_beheerder_adds_a_product_type_whose_products_take_its_validity_and_unit() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let new = format!("{TYPES}/nieuw");
    let form = bea.page(&new).await.form(&new);
    assert_eq!(form.value("geldigheid"), Some("12"));
    // Wrong in every field at once: every one named, nothing stored.
    let resp = bea
        .submit(
            &form,
            &[
                ("code", "Jaar kaart"),
                ("naam", ""),
                ("eenheid", "none"),
                ("geldigheid", "0"),
                ("kentekens", "0"),
                ("toekenning_periode", "calendar_year"),
                ("toekenning_bedrag", "500"),
                ("opwaardering_bedrag", "600"),
                ("opwaardering_prijs", "12,50"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let page = resp.html();
    for message in [
        "Een code bestaat uit kleine letters, cijfers, - en _ (hoogstens 40).",
        "Vul een naam in.",
        "Vul een geldigheid in van 1 tot en met 120 maanden.",
        "Vul een aantal kentekens in van 1 tot en met 10.",
        "Een producttype zonder saldo krijgt geen toekenning",
        "Alleen een bezoekersregeling met saldo kan worden opgewaardeerd",
    ] {
        assert!(page.contains_text(message), "{message}: {}", page.text());
    }
    assert_eq!(page.form(&new).value("code"), Some("Jaar kaart"));
    assert_eq!(newest(&app, "product_type.created").await.result, "refused");

    let resp = bea
        .submit(
            &form,
            &[
                ("code", "jaarkaart"),
                ("naam", "Jaarkaart bezoek"),
                ("soort", "visitor_scheme"),
                ("eenheid", "minutes"),
                ("geldigheid", "24"),
                ("toekenning_periode", "calendar_year"),
                ("toekenning_bedrag", "30000"),
                ("opwaardering_bedrag", "600"),
                ("opwaardering_prijs", "12,50"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let page = bea.page(resp.location()).await;
    assert!(page.contains_text("Het producttype is toegevoegd."));
    // Its rules and tariff are edited in the rules console.
    assert!(page.links_to("/beheer/dijkstad/regels/jaarkaart/script"));
    let entry = newest(&app, "product_type.created").await;
    assert_eq!(entry.object_id.as_deref(), Some("dijkstad/jaarkaart"));
    let reason = entry.reason.unwrap_or_default();
    assert!(
        reason.contains("kind visitor_scheme, unit minutes, validity_months 24, max_plates 3, grant 30000 calendar_year, top_ups [600 for 12.50]"),
        "{reason}"
    );

    // A product of it is valid for 24 months unless the issuer says otherwise.
    let id = issue(
        &app,
        IssueRequest {
            product_type: Some("jaarkaart".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let state = app.app.as_ref().unwrap().state();
    let now = state.clock().now();
    let until = app
        .sql_text(&format!(
            "SELECT CAST(valid_until AS TEXT) FROM products WHERE id = {id}"
        ))
        .await
        .unwrap();
    // Valid through the day before the same date 24 months on, local: until its midnight.
    let today = now
        .with_timezone(&chrono_tz::Europe::Amsterdam)
        .date_naive();
    let end = today.checked_add_months(chrono::Months::new(24)).unwrap();
    let expected = end
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_local_timezone(chrono_tz::Europe::Amsterdam)
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert!(
        until
            .replace(' ', "T")
            .starts_with(&expected.format("%Y-%m-%dT%H:%M:%S").to_string()),
        "{until} for {expected}"
    );

    // With a product, its unit stays: the form no longer offers it, and a forged one is refused.
    let path = format!("{TYPES}/jaarkaart");
    let page = bea.page(&path).await;
    let form = page.form(&path);
    assert!(!form.has("eenheid") && !form.has("soort"));
    assert!(page.contains_text("Dit producttype heeft producten"));
    let resp = bea.submit(&form, &[("eenheid", "money")]).await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html()
            .contains_text("Dit producttype heeft producten: de eenheid blijft zoals ze is.")
    );
    assert_eq!(
        app.sql_text("SELECT unit FROM product_types WHERE code = 'jaarkaart'")
            .await
            .as_deref(),
        Some("minutes")
    );
    // Opened for application: the switch is stored and the API says so.
    assert!(form.has("aanvragen"));
    assert!(
        !form
            .submission(&[])
            .iter()
            .any(|(name, _)| name == "aanvragen"),
        "a new type is not open for application"
    );
    let resp = bea.submit(&form, &[("aanvragen", "ja")]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let (_, tenants) = crate::support::call(&app, "GET", "/api/v1/tenants", None, None).await;
    let dijkstad = tenants["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["slug"] == "dijkstad")
        .unwrap();
    assert_eq!(dijkstad["product_types"][2]["code"], "jaarkaart");
    assert_eq!(dijkstad["product_types"][2]["open_for_application"], true);
    let reason = newest(&app, "product_type.changed")
        .await
        .reason
        .unwrap_or_default();
    assert!(
        reason.contains("apply false") && reason.contains("apply true"),
        "{reason}"
    );
    // Its validity and top-ups change (on the form as it is now).
    let form = bea.page(&path).await.form(&path);
    let resp = bea
        .submit(
            &form,
            &[
                ("geldigheid", "6"),
                ("opwaardering_bedrag", "1200"),
                ("opwaardering_prijs", "20"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let reason = newest(&app, "product_type.changed")
        .await
        .reason
        .unwrap_or_default();
    assert!(
        reason.contains("validity_months 24") && reason.contains("validity_months 6"),
        "{reason}"
    );
    assert!(reason.contains("top_ups [1200 for 20.00]"), "{reason}");
}

#[tokio::test]
async fn a_retired_product_type_issues_nothing_new_and_its_products_keep_working() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let jan = resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let path = format!("{TYPES}/bezoekers");
    let resp = press(&app, &bea, &path, "buiten_gebruik").await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let list = bea.page(TYPES).await;
    let rows = list.rows();
    let row = rows
        .iter()
        .find(|r| r[0].starts_with("Bezoekersregeling"))
        .unwrap();
    assert_eq!(row[5], "Buiten gebruik", "{row:?}");
    assert_eq!(newest(&app, "product_type.retired").await.result, "ok");
    let refused = issue(
        &app,
        IssueRequest {
            product_type: Some("bezoekers".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), Some("product_type_retired"));
    // The console's form offers it no more; the admin API refuses it.
    let issue_page = bea.get("/beheer/dijkstad/producten/uitgeven").await;
    assert!(!issue_page.text().contains(r#"<option value="bezoekers""#));
    let (status, body) = issue_by_api(&app, "product_type", "bezoekers").await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "product_type_retired", "{body}");
    // Its product is topped up as before.
    let path = format!("/api/v1/products/{}/top-ups", jan.product);
    let (status, bought) = crate::support::call(
        &app,
        "POST",
        &path,
        Some(json!({"option": "25.00"})),
        Some(&jan.token),
    )
    .await;
    assert_eq!(status, 201, "{bought}");
    // Its product parks on.
    jan.park(&app, "AB-12-34", in_an_hour(&app)).await;
}

#[tokio::test]
async fn a_bundle_keeps_the_unit_of_a_type_in_use_and_carries_zones_and_validity() {
    let app = TestApp::spawn().await;
    resident(&app, "dijkstad", "jan@example.nl", Some("25.00")).await;
    let tenants = app.app.as_ref().unwrap().tenants();
    let mut config = tenants
        .export(&"dijkstad".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    config.zones[2].postcodes =
        parkportal_domain::postcode_range::PostcodeRange::parse_list("3511").unwrap();
    config.zones[1].retired = true;
    config.product_types[1].validity_months = 36;
    // Through the bundle's own files and back: the same configuration.
    let files = parkportal::bundle::bundle_files(&config).unwrap();
    let manifest = String::from_utf8(files["tenant.toml"].clone()).unwrap();
    assert!(manifest.contains("postcodes = [\"3511\"]"), "{manifest}");
    assert!(manifest.contains("retired = true") && manifest.contains("validity_months = 36"));
    let mut changed = config.clone();
    changed.product_types[0].unit = parkportal_domain::BalanceUnit::Minutes;
    changed.product_types[0].top_ups.clear();
    let refused = tenants.import(&changed).await.unwrap_err().to_string();
    assert!(refused.contains("bezoekers"), "{refused}");
    assert_eq!(
        app.sql_text("SELECT unit FROM product_types WHERE code = 'bezoekers' AND tenant_id = (SELECT id FROM tenants WHERE slug = 'dijkstad')").await.as_deref(),
        Some("money")
    );
    // A zone with products is not left out of a configuration: it is retired.
    let mut without = config.clone();
    without.zones.remove(0);
    let refused = tenants.import(&without).await.unwrap_err().to_string();
    assert!(refused.contains("binnenstad"), "{refused}");
    tenants.import(&config).await.unwrap();
    let again = tenants
        .export(&"dijkstad".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.zones, config.zones);
    assert_eq!(again.product_types, config.product_types);
}

#[tokio::test]
async fn another_gemeentes_beheerder_and_a_medewerker_reach_no_catalogue() {
    let app = TestApp::spawn().await;
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::TenantAdmin).await;
    let mia = staff(&app, "mia@dijkstad.nl", "dijkstad", Role::Staff).await;
    let before = version(&app).await;
    for who in [&piet, &mia] {
        for path in [
            ZONES.to_owned(),
            format!("{ZONES}/binnenstad"),
            TYPES.to_owned(),
            format!("{TYPES}/bezoekers"),
        ] {
            assert!(matches!(who.get(&path).await.status(), 403 | 404), "{path}");
        }
        let resp = who
            .post_form(
                &format!("{ZONES}/binnenstad"),
                &[("actie", "buiten_gebruik"), ("versie", &before)],
            )
            .await;
        assert!(matches!(resp.status(), 403 | 404), "{}", resp.status());
        let resp = who
            .post_form(
                &format!("{TYPES}/nieuw"),
                &[
                    ("code", "overgenomen"),
                    ("naam", "X"),
                    ("soort", "permit"),
                    ("eenheid", "none"),
                    ("geldigheid", "12"),
                    ("versie", &before),
                ],
            )
            .await;
        assert!(matches!(resp.status(), 403 | 404), "{}", resp.status());
    }
    assert_eq!(version(&app).await, before);
    assert_eq!(zone_column(&app, "binnenstad", "retired_at").await, None);
    // Havenmond's own zones are its beheerder's, and Dijkstad's are not among them.
    let own = piet.page("/beheer/havenmond/zones").await;
    assert!(!own.contains_text("Binnenstad"));
}

#[tokio::test]
async fn a_zone_is_not_taken_into_use_again_over_another_zones_postcodes() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let binnenstad = format!("{ZONES}/binnenstad");
    assert_eq!(
        press(&app, &bea, &binnenstad, "buiten_gebruik")
            .await
            .status(),
        303
    );
    // Its postcodes are free now: the station area takes one of them.
    let station = format!("{ZONES}/stationsgebied");
    let form = bea.page(&station).await.form(&station);
    let resp = bea.submit(&form, &[("postcodes", "1234-1235\n1231")]).await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let reason = newest(&app, "zone.changed")
        .await
        .reason
        .unwrap_or_default();
    assert_eq!(
        reason,
        r#"zone stationsgebied postcodes: removed "", added "1231""#
    );
    let resp = press(&app, &bea, &binnenstad, "in_gebruik").await;
    assert_eq!(resp.status(), 409);
    assert!(
        resp.html()
            .contains_text("haar postcodes vallen (deels) ook in zone Stationsgebied"),
        "{}",
        resp.text()
    );
    assert!(
        zone_column(&app, "binnenstad", "retired_at")
            .await
            .is_some()
    );
    assert_eq!(newest(&app, "zone.restored").await.result, "refused");
    // A path of no zone is 404, and on the record.
    let resp = press(
        &app,
        &bea,
        &format!("{ZONES}/bestaat-niet"),
        "buiten_gebruik",
    )
    .await;
    assert_eq!(resp.status(), 404);
    let entry = newest(&app, "zone.changed").await;
    assert_eq!(
        (entry.result.as_str(), entry.object_id.as_deref()),
        ("refused", Some("dijkstad/bestaat-niet"))
    );
}

#[tokio::test]
async fn a_tariff_keeps_the_zone_it_names() {
    let app = TestApp::spawn().await;
    let bea = staff(&app, "bea@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let new = format!("{ZONES}/nieuw");
    let form = bea.page(&new).await.form(&new);
    let resp = bea
        .submit(&form, &[("code", "haven"), ("naam", "Haven")])
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    // The visitor scheme's tariff names the new zone...
    let tenants = app.app.as_ref().unwrap().tenants();
    let mut config = tenants
        .export(&"dijkstad".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let tariff = config.tariffs.values_mut().next().unwrap();
    *tariff = tariff.replacen(
        "end = \"22:00\"\n",
        "end = \"22:00\"\nzones = [\"haven\"]\n",
        1,
    );
    assert!(tariff.contains("[\"haven\"]"), "{tariff}");
    tenants.import(&config).await.unwrap();
    // ...so it is not deleted, the tariff's problem named.
    let resp = press(&app, &bea, &format!("{ZONES}/haven"), "verwijderen").await;
    assert_eq!(resp.status(), 422);
    let page = resp.html();
    assert!(page.contains_text("Zo past de wijziging niet bij de rest van de instellingen"));
    assert!(
        page.contains_text("zone haven is not a zone of this gemeente"),
        "{}",
        page.text()
    );
    assert_eq!(
        zone_column(&app, "haven", "name").await.as_deref(),
        Some("Haven")
    );
}
