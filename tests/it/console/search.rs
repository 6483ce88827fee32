//! The help desk's search: each kind of term finds its products in the gemeente and nowhere
//! else, an empty search runs not at all, a wrong term is named at its field, results come a
//! page at a time, and every search is on the record with the ids it found.

use super::*;
use crate::admin_api::key;
use crate::support::call;
use serde_json::json;

const SEARCH: &str = "/beheer/dijkstad/producten";

/// Issues a product of `slug` to `name` at `postcode` through the admin API: its code as the
/// letter prints it.
async fn issue(
    app: &TestApp,
    k: &str,
    name: &str,
    postcode: &str,
    extra: serde_json::Value,
) -> String {
    let mut body = json!({
        "recipient": {"name": name, "street": "Kerkstraat", "house_number": "1",
                      "postcode": postcode, "city": "Dijkstad"}
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let (status, issued) = call(app, "POST", "/api/admin/v1/products", Some(body), Some(k)).await;
    assert_eq!(status, 201, "{issued}");
    issued["code"].as_str().unwrap().to_owned()
}

/// The codes a search page lists, in its order.
fn codes(page: &crate::support::html::Html) -> Vec<String> {
    page.rows()
        .into_iter()
        .skip(1)
        .map(|r| r[0].clone())
        .collect()
}

fn find(kind: &str, term: &str) -> String {
    format!(
        "{SEARCH}?soort={kind}&zoek={}",
        parkportal_web::page::urlencode(term)
    )
}

#[tokio::test]
async fn each_kind_of_term_finds_its_products_in_the_gemeente_only() {
    let app = TestApp::spawn().await;
    let k = key(&app, "dijkstad", "loket", "products:issue").await;
    let jan = issue(
        &app,
        &k,
        "Jan de Vries",
        "1234 AB",
        json!({"email": "Jan@Example.nl", "plates": ["AB-12-34"]}),
    )
    .await;
    let anna = issue(&app, &k, "Anna Vriesema-Bakker", "1235 CD", json!({})).await;
    let piet = issue(&app, &k, "Piet Jansen", "1234 AB", json!({})).await;
    let eva = issue(&app, &k, "Eva Österberg", "1236 EF", json!({})).await;
    // Havenmond has a Jan de Vries at the same postcode, with the same plate and address.
    let h = key(&app, "havenmond", "loket", "products:issue").await;
    let theirs = issue(
        &app,
        &h,
        "Jan de Vries",
        "1234 AB",
        json!({"email": "jan@example.nl", "plates": ["AB-12-34"]}),
    )
    .await;

    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let empty = an.page(SEARCH).await;
    assert!(empty.contains_text("Producten zoeken"));
    assert!(empty.rows().is_empty(), "an empty search finds nothing");
    assert!(!empty.contains_text("Geen producten gevonden"));
    for (kind, term, expected) in [
        (
            "code",
            jan.to_lowercase().replace('-', ""),
            vec![jan.clone()],
        ),
        ("email", "JAN@example.NL".to_owned(), vec![jan.clone()]),
        ("plate", "ab 12 34".to_owned(), vec![jan.clone()]),
        (
            "postcode",
            "1234ab".to_owned(),
            vec![piet.clone(), jan.clone()],
        ),
        // "vries" begins "Vriesema" too.
        ("name", "vries".to_owned(), vec![anna.clone(), jan.clone()]),
        ("name", "de vries".to_owned(), vec![jan.clone()]),
        ("name", "VRIESEMA".to_owned(), vec![anna.clone()]),
        ("name", "j vr".to_owned(), vec![jan.clone()]),
        ("name", "bakker anna".to_owned(), vec![anna.clone()]),
        ("name", "vries piet".to_owned(), vec![]),
        // Letters beyond ASCII, in any case, on both databases.
        ("name", "ÖST".to_owned(), vec![eva.clone()]),
        ("name", "ö".to_owned(), vec![eva.clone()]),
    ] {
        let page = an.page(&find(kind, &term)).await;
        assert_eq!(codes(&page), expected, "{kind} {term}");
        assert!(
            !codes(&page).contains(&theirs),
            "{kind} {term}: another gemeente's"
        );
    }
    let found = an.page(&find("name", "jan de vries")).await;
    let row = found.row(&jan);
    assert_eq!(
        row[1..].to_vec(),
        [
            "Jan de Vries",
            "1234 AB Dijkstad",
            "Bezoekersregeling",
            "actief",
            "02-03-2027",
            "nog niet gekoppeld"
        ]
    );
    let none = an.page(&find("postcode", "9999 ZZ")).await;
    assert!(none.contains_text("Geen producten gevonden."));

    // Havenmond's medewerker finds Havenmond's only; Dijkstad's page is not theirs.
    let piet_h = staff(&app, "piet@havenmond.nl", "havenmond", Role::Staff).await;
    let page = piet_h
        .page(&find("name", "vries").replace("dijkstad", "havenmond"))
        .await;
    assert_eq!(codes(&page), vec![theirs.clone()]);
    assert_eq!(piet_h.get(&find("name", "vries")).await.status(), 404);

    // Every search that ran is on the record with the ids it found, newest first.
    let searches: Vec<_> = audit_entries(&app)
        .await
        .into_iter()
        .filter(|e| e.action == "product.search")
        .collect();
    assert_eq!(searches.len(), 15, "the empty search ran not at all");
    assert_eq!(searches[0].actor, "piet@havenmond.nl");
    let ids = |code: &str| {
        let code = code.replace('-', "");
        let app = &app;
        async move {
            app.sql_i64(&format!("SELECT id FROM products WHERE code = '{code}'"))
                .await
                .to_string()
        }
    };
    assert_eq!(
        searches[0].object_id.as_deref(),
        Some(ids(&theirs).await.as_str())
    );
    // "vries": Anna's and Jan's, newest first.
    let vri = searches
        .iter()
        .find(|e| e.object_id.as_deref().is_some_and(|o| o.contains(',')))
        .unwrap();
    assert_eq!(
        vri.object_id.as_deref(),
        Some(format!("{},{}", ids(&anna).await, ids(&jan).await).as_str())
    );
    assert_eq!(vri.object_kind.as_deref(), Some("product"));
}

#[tokio::test]
async fn a_wrong_term_is_named_at_its_field_and_results_come_a_page_at_a_time() {
    let app = TestApp::spawn().await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    for (kind, term, message) in [
        (
            "code",
            "ABC",
            "Een productcode heeft tien letters en cijfers",
        ),
        ("email", "geen-adres", "Vul een volledig e-mailadres in"),
        ("plate", "AB_12", "Een kenteken heeft hoogstens twaalf"),
        ("postcode", "12345", "Vul een postcode in als 1234 AB."),
        (
            "name",
            "a b c d e f",
            "Vul één tot vijf woorden van de naam in.",
        ),
    ] {
        let resp = an.get(&find(kind, term)).await;
        assert_eq!(resp.status(), 422, "{kind} {term}");
        let text = resp.text();
        assert!(text.contains("aria-invalid=\"true\""), "{kind}");
        let html = resp.html();
        assert!(html.contains_text(message), "{kind}: {}", html.text());
    }
    assert!(
        audit_entries(&app)
            .await
            .iter()
            .all(|e| e.action != "product.search"),
        "a term that is none is not searched"
    );

    // 25 products at one postcode: 20 on the first page, 5 on the second.
    let k = key(&app, "dijkstad", "loket", "products:issue").await;
    let mut issued = Vec::new();
    for i in 0..25 {
        issued.push(issue(&app, &k, &format!("Bewoner {i}"), "1234 AB", json!({})).await);
    }
    issued.reverse();
    let first = an.page(&find("postcode", "1234 AB")).await;
    assert_eq!(codes(&first), issued[..20].to_vec());
    assert!(first.contains_text("pagina 1"));
    let next = first.link("Volgende pagina");
    assert!(
        next.contains("pagina=2") && next.contains("soort=postcode"),
        "{next}"
    );
    let second = an.page(&next).await;
    assert_eq!(codes(&second), issued[20..].to_vec());
    assert!(!second.contains_text("Volgende pagina"));
    assert!(second.links_to(&next.replace("pagina=2", "pagina=1")));
    // A name pages the same, walked newest first; two words the same.
    for term in ["bewoner", "bew 1"] {
        let first = an.page(&find("name", term)).await;
        let expected: Vec<String> = (0..25)
            .rev()
            .filter(|i| term == "bewoner" || i.to_string().starts_with('1'))
            .map(|i| issued[24 - i].clone())
            .collect();
        let shown = expected.len().min(20);
        assert_eq!(codes(&first), expected[..shown].to_vec(), "{term}");
        if expected.len() > 20 {
            let second = an.page(&first.link("Volgende pagina")).await;
            assert_eq!(codes(&second), expected[20..].to_vec(), "{term}");
        }
    }
}

#[tokio::test]
async fn names_are_found_by_the_heads_the_migration_writes_for_words_there() {
    use crate::support::schema::{down_through, own_connection};
    use parkportal_migrations::{Migrator, MigratorTrait};
    let app = TestApp::spawn().await;
    let k = key(&app, "dijkstad", "loket", "products:issue").await;
    let old = issue(&app, &k, "Jan Jansen", "1234 AB", json!({})).await;
    let new = issue(&app, &k, "Janneke Bos", "1234 AB", json!({})).await;
    // Down drops the heads, up writes them again from the words.
    let own = own_connection(&app).await;
    let db = own.connection();
    down_through(db, "m20261205_000025_name_word_heads")
        .await
        .unwrap();
    Migrator::up(db, None).await.unwrap();
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM product_name_words WHERE head = SUBSTR(word, 1, 3)")
            .await,
        4
    );
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    for (term, expected) in [
        ("jan", vec![new.clone(), old.clone()]),
        ("jans", vec![old.clone()]),
        ("janneke", vec![new.clone()]),
        ("jan jansen", vec![old.clone()]),
        ("bos jan", vec![new.clone()]),
        ("jansen bos", vec![]),
    ] {
        assert_eq!(
            codes(&an.page(&find("name", term)).await),
            expected,
            "{term}"
        );
    }
}
