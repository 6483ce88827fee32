//! The audit log viewer: a gemeente's entries for its beheerders, every entry for the platform, filters, paging and the CSV.

use super::*;

#[tokio::test]
async fn the_audit_log_filters_pages_and_exports_a_gemeentes_entries_to_its_beheerders() {
    let app = TestApp::spawn().await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let an = staff(&app, "an@dijkstad.nl", "dijkstad", Role::Staff).await;
    let piet = staff(&app, "piet@havenmond.nl", "havenmond", Role::TenantAdmin).await;
    // Entries of Dijkstad: an's refused visit to the beheerder's page, two accounts created.
    assert_eq!(an.get("/beheer/dijkstad/auditlog").await.status(), 403);
    let log = bo.page("/beheer/dijkstad/auditlog").await;
    let rows = log_rows(&log);
    assert!(rows.len() >= 3, "{rows:?}");
    assert!(
        rows.iter().all(|r| !r.iter().any(|c| c.contains("piet@"))),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.iter().any(|c| c == "an@dijkstad.nl") && r.iter().any(|c| c == "Geweigerd"))
    );
    // Filters: actor, action prefix, result, period.
    let refused = log_rows(
        &bo.page("/beheer/dijkstad/auditlog?wie=AN%40dijkstad&resultaat=refused")
            .await,
    );
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].iter().any(|c| c == "console.access"));
    let created = log_rows(&bo.page("/beheer/dijkstad/auditlog?actie=staff.creat").await);
    assert_eq!(created.len(), 2, "{created:?}");
    let tomorrow = bo.page("/beheer/dijkstad/auditlog?van=2026-03-03").await;
    assert!(log_rows(&tomorrow).is_empty());
    assert!(tomorrow.contains_text("Geen regels gevonden"));
    let today = bo
        .page("/beheer/dijkstad/auditlog?van=2026-03-02&tot=2026-03-02")
        .await;
    assert_eq!(log_rows(&today).len(), rows.len());
    // A date that is none: the form again, with its error.
    let bad = bo.get("/beheer/dijkstad/auditlog?van=gisteren").await;
    assert_eq!(bad.status(), 422);
    assert!(bad.html().contains_text("jjjj-mm-dd"));

    // The CSV: a byte-order mark, `;`, the filtered rows, and the export on the record.
    let csv = bo
        .get("/beheer/dijkstad/auditlog.csv?actie=staff.creat")
        .await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.header("content-type")
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    assert!(
        csv.header("content-disposition")
            .unwrap_or_default()
            .contains("auditlog-dijkstad.csv")
    );
    let text = csv.text();
    assert!(text.starts_with('\u{feff}'), "a byte-order mark");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].starts_with("Tijd;Wie;Rol;Gemeente;Actie"),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains(";staff.created;staff;"), "{}", lines[1]);
    let entries = audit_entries(&app).await;
    assert_eq!(entries[0].action, "audit.exported");
    assert_eq!(entries[0].object_id.as_deref(), Some("2"));

    // Another gemeente's beheerder sees neither this log nor its export.
    assert_eq!(piet.get("/beheer/dijkstad/auditlog").await.status(), 404);
    assert_eq!(
        piet.get("/beheer/dijkstad/auditlog.csv").await.status(),
        404
    );
    let own = log_rows(&piet.page("/beheer/havenmond/auditlog").await);
    assert!(
        own.iter()
            .all(|r| !r.iter().any(|c| c.contains("dijkstad.nl"))),
        "{own:?}"
    );

    // The platform's log has every gemeente's entries and those of no gemeente (enrolment).
    let root = platform_admin(&app, "root@parkportal.nl").await;
    let all = log_rows(
        &root
            .page("/beheer/platform/auditlog?actie=staff.enrolment")
            .await,
    );
    assert!(!all.is_empty());
    let everything = root.page("/beheer/platform/auditlog").await;
    assert!(
        log_rows(&everything)
            .iter()
            .any(|r| r.iter().any(|c| c == "Gemeente Havenmond"))
    );
}

#[tokio::test]
async fn the_audit_log_pages_newest_first() {
    let app = TestApp::spawn().await;
    let root = platform_admin(&app, "root@parkportal.nl").await;
    // Sixty visits to two gemeenten's consoles a minute apart, each on the record.
    for i in 0..60 {
        let gemeente = if i % 2 == 0 { "weidevelde" } else { "dijkstad" };
        root.page(&format!("/beheer/{gemeente}")).await;
        app.clock.advance(chrono::Duration::minutes(1));
    }
    let first = root
        .page("/beheer/platform/auditlog?actie=console.visit")
        .await;
    let rows = log_rows(&first);
    assert_eq!(rows.len(), 50);
    // Newest first: the last visit (09:59 UTC, 10:59 in the gemeente) heads the list, each row older
    // than the one above it.
    let times: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert!(times[0].contains(" 10:59:"), "{times:?}");
    assert!(times.windows(2).all(|w| w[0] > w[1]), "{times:?}");
    // The object filter: the visits of one path only.
    let dijkstad = log_rows(
        &root
            .page("/beheer/platform/auditlog?actie=console.visit&objectsoort=path&object=%2Fbeheer%2Fdijkstad")
            .await,
    );
    assert_eq!(dijkstad.len(), 30, "{dijkstad:?}");
    assert!(
        dijkstad
            .iter()
            .all(|r| r.iter().any(|c| c.contains("/beheer/dijkstad"))),
        "{dijkstad:?}"
    );
    let next = first.link("Oudere regels");
    assert!(
        next.contains("pagina=2") && next.contains("actie=console.visit"),
        "{next}"
    );
    let second = root.page(&next).await;
    assert_eq!(log_rows(&second).len(), 10);
    assert!(second.links_to(&first_page_link(&next)));
}

/// The link back from page 2 to page 1.
fn first_page_link(page_two: &str) -> String {
    page_two.replace("pagina=2", "pagina=1")
}

/// The entries of an audit log page (its table's rows without the header).
fn log_rows(page: &crate::support::html::Html) -> Vec<Vec<String>> {
    page.rows().into_iter().skip(1).collect()
}

#[tokio::test]
async fn a_page_number_beyond_any_list_is_an_empty_last_page() {
    let app = TestApp::spawn().await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    for path in [
        "/beheer/dijkstad/auditlog?pagina=18446744073709551615",
        "/beheer/dijkstad/regelfouten?pagina=18446744073709551615",
    ] {
        let resp = bo.get(path).await;
        assert_eq!(resp.status(), 200, "{path}");
        // The list's own page (its filter), not an error page.
        assert!(
            resp.html().contains_text("Tot en met") || resp.html().contains_text("Filter"),
            "{path}"
        );
    }
}
