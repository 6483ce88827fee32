//! Gemeenten as a whole from the platform's console: a bundle downloaded and uploaded (a round
//! trip onto an empty server gives the same gemeente), hostile and broken uploads refused with
//! every problem named and nothing stored, and a new gemeente from the form with its first
//! beheerder enrolled through the link it gets.

use super::*;
use crate::support::zips::{ZipEntry, tar_gz, zip, zip_bomb};
use parkportal::archive::read_archive;
use parkportal_domain::audit::Actor;
use parkportal_domain::founding::{FirstBeheerder, FoundError, NewGemeente, found};
use parkportal_domain::staff::{EmailTaken, EnrolError, NewLink, NewStaff};
use parkportal_domain::{Clock, EmailAddress, StoreError};

const UPLOAD: &str = "/beheer/platform/gemeenten/uploaden";
const NEW: &str = "/beheer/platform/gemeenten/nieuw";

/// The demo's Weidevelde as archive entries under `prefix`, with `manifest` changed by `edit`.
fn weidevelde(prefix: &str, edit: impl Fn(String) -> String) -> Vec<(String, Vec<u8>)> {
    let dir = crate::support::repo().join("tenants/weidevelde");
    let mut files = Vec::new();
    for name in ["tenant.toml", "logo.svg", "tokens.json"] {
        let mut bytes = std::fs::read(dir.join(name)).unwrap();
        if name == "tenant.toml" {
            bytes = edit(String::from_utf8(bytes).unwrap()).into_bytes();
        }
        files.push((format!("{prefix}{name}"), bytes));
    }
    files
}

fn zipped(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let entries: Vec<ZipEntry<'_>> = files.iter().map(|(n, d)| ZipEntry::file(n, d)).collect();
    zip(&entries)
}

/// The error summary's lines.
fn problems(resp: &crate::support::response::Response) -> String {
    resp.html().by_id("fouten").unwrap_or_default()
}

async fn gemeente_count(app: &TestApp) -> usize {
    app.app
        .as_ref()
        .unwrap()
        .tenants()
        .list()
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_downloaded_bundle_uploaded_on_an_empty_server_gives_the_same_gemeente() {
    let first = TestApp::spawn().await;
    let anna = platform_admin(&first, "anna@platform.nl").await;
    let home = anna.page("/beheer/platform").await;
    assert!(home.links_to(UPLOAD) && home.links_to(NEW));
    let (status, headers, bundle) = anna
        .download("/beheer/platform/gemeenten/dijkstad/bundel.tar.gz")
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/gzip");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"dijkstad.tar.gz\"")
    );
    let (folder, files) = read_archive(&bundle).unwrap();
    assert_eq!(folder, "tenants/dijkstad/");
    assert!(files.contains_key("tenant.toml") && files.contains_key("tokens.json"));
    assert!(
        files.keys().any(|k| k.starts_with("rules/")),
        "{:?}",
        files.keys()
    );
    let exported = audit_entries(&first).await;
    let entry = exported
        .iter()
        .find(|e| e.action == "tenant.exported")
        .unwrap();
    assert_eq!(entry.object_id.as_deref(), Some("dijkstad"));
    assert_eq!(entry.actor, "anna@platform.nl");

    let second = TestApp::spawn_empty().await;
    assert_eq!(gemeente_count(&second).await, 0);
    let bert = platform_admin(&second, "bert@platform.nl").await;
    let resp = bert
        .upload(UPLOAD, &[], "bundel", "dijkstad.tar.gz", &bundle)
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    let done = bert.page(resp.location()).await;
    assert!(
        done.contains_text("Gemeente Dijkstad is aangemaakt"),
        "{}",
        done.text()
    );
    let imported = audit_entries(&second).await;
    let entry = imported
        .iter()
        .find(|e| e.action == "tenant.imported")
        .unwrap();
    assert_eq!(entry.reason.as_deref(), Some("created"));
    assert!(entry.tenant.is_some());
    let (_, _, again) = bert
        .download("/beheer/platform/gemeenten/dijkstad/bundel.tar.gz")
        .await;
    assert_eq!(read_archive(&again).unwrap(), (folder, files));
    let slug = "dijkstad".parse().unwrap();
    let a = first
        .app
        .as_ref()
        .unwrap()
        .tenants()
        .export(&slug)
        .await
        .unwrap();
    let b = second
        .app
        .as_ref()
        .unwrap()
        .tenants()
        .export(&slug)
        .await
        .unwrap();
    assert_eq!(a, b);
    assert!(a.is_some());

    // The same bundle again: refused unless replacing is asked for, and then an update.
    let resp = bert
        .upload(UPLOAD, &[], "bundel", "dijkstad.tar.gz", &bundle)
        .await;
    assert_eq!(resp.status(), 422);
    assert!(problems(&resp).contains("al een gemeente met slug dijkstad"));
    let resp = bert
        .upload(
            UPLOAD,
            &[("vervang", "ja")],
            "bundel",
            "dijkstad.tar.gz",
            &bundle,
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text());
    assert!(resp.location().ends_with("actie=bijgewerkt"));
    assert_eq!(gemeente_count(&second).await, 1);
}

#[tokio::test]
async fn hostile_archives_are_refused_by_name_nothing_is_stored_and_the_server_serves_on() {
    let app = TestApp::spawn_empty().await;
    let anna = platform_admin(&app, "anna@platform.nl").await;
    let mut evil = weidevelde("weidevelde/", |m| m);
    evil.push(("../evil.sh".into(), b"rm -rf /".to_vec()));
    let resp = anna
        .upload(UPLOAD, &[], "bundel", "evil.zip", &zipped(&evil))
        .await;
    assert_eq!(resp.status(), 422);
    assert!(
        problems(&resp).contains("../evil.sh"),
        "{}",
        problems(&resp)
    );
    assert!(problems(&resp).contains("(..)"));

    // A zip bomb: 50 MiB of zeros from a few kilobytes, stopped at the 2 MiB a file may have.
    let bomb = zip_bomb("weidevelde/tenant.toml", 50 * 1024 * 1024);
    assert!(bomb.len() < 200 * 1024);
    let started = std::time::Instant::now();
    let resp = anna.upload(UPLOAD, &[], "bundel", "bomb.zip", &bomb).await;
    assert_eq!(resp.status(), 422);
    assert!(
        problems(&resp).contains("larger than 2 MiB"),
        "{}",
        problems(&resp)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    // A link in a .tar.gz.
    let files = weidevelde("tenants/weidevelde/", |m| m);
    let plain: Vec<(&str, &[u8])> = files
        .iter()
        .filter(|(n, _)| !n.ends_with("logo.svg"))
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let linked = tar_gz(&plain, Some(("tenants/weidevelde/logo.svg", "/etc/passwd")));
    let resp = anna
        .upload(UPLOAD, &[], "bundel", "weidevelde.tar.gz", &linked)
        .await;
    assert_eq!(resp.status(), 422);
    assert!(
        problems(&resp).contains("symbolic link"),
        "{}",
        problems(&resp)
    );

    // Larger than the route takes: refused before it is read.
    let big = vec![b'x'; 5 * 1024 * 1024];
    let resp = anna.upload(UPLOAD, &[], "bundel", "big.zip", &big).await;
    assert_eq!(resp.status(), 413);

    // No file, and a file that is no archive.
    let resp = anna.upload(UPLOAD, &[], "bundel", "", b"").await;
    assert_eq!(resp.status(), 422);
    assert!(problems(&resp).contains("Kies een"));
    let resp = anna
        .upload(UPLOAD, &[], "bundel", "notes.txt", b"hello")
        .await;
    assert_eq!(resp.status(), 422);
    assert!(problems(&resp).contains("neither a .tar.gz nor a .zip"));

    assert_eq!(gemeente_count(&app).await, 0);
    // Nothing imported, and every refusal on the record.
    let entries = audit_entries(&app).await;
    let imports: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "tenant.imported")
        .collect();
    assert!(!imports.is_empty());
    assert!(imports.iter().all(|e| e.result == "refused"
        && e.reason.as_deref() == Some("invalid_bundle")
        && e.actor == "anna@platform.nl"));
    assert_eq!(anna.get(UPLOAD).await.status(), 200, "the server serves on");
    assert_eq!(app.get("/healthz").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_broken_bundle_names_its_file_and_line() {
    let app = TestApp::spawn_empty().await;
    let anna = platform_admin(&app, "anna@platform.nl").await;
    let syntax = weidevelde("tenants/weidevelde/", |m| {
        m.replacen("name = ", "name = = ", 1)
    });
    let resp = anna
        .upload(UPLOAD, &[], "bundel", "w.zip", &zipped(&syntax))
        .await;
    assert_eq!(resp.status(), 422);
    let listed = problems(&resp);
    let manifest =
        std::fs::read_to_string(crate::support::repo().join("tenants/weidevelde/tenant.toml"))
            .unwrap();
    let line = manifest
        .lines()
        .position(|l| l.starts_with("name = "))
        .unwrap()
        + 1;
    assert!(
        listed.contains(&format!("tenants/weidevelde/tenant.toml:{line}")),
        "{listed}"
    );

    let zone = weidevelde("weidevelde/", |m| {
        m.replace("Europe/Amsterdam", "Europe/Atlantis")
    });
    let resp = anna
        .upload(UPLOAD, &[], "bundel", "w.zip", &zipped(&zone))
        .await;
    assert_eq!(resp.status(), 422);
    let listed = problems(&resp);
    assert!(listed.contains("weidevelde/tenant.toml"), "{listed}");
    assert!(listed.contains("Europe/Atlantis"), "{listed}");

    let mut tokens = weidevelde("", |m| m);
    tokens[2].1 = b"{\n  \"a\": 1,\n  oops\n}".to_vec();
    let resp = anna
        .upload(UPLOAD, &[], "bundel", "w.zip", &zipped(&tokens))
        .await;
    assert!(
        problems(&resp).contains("tokens.json:3"),
        "{}",
        problems(&resp)
    );
    assert_eq!(gemeente_count(&app).await, 0);
}

#[tokio::test]
async fn a_new_gemeente_from_the_form_gets_its_beheerder_who_enrols_into_it() {
    let smtp = crate::support::smtp::SmtpServer::start().await;
    let port = smtp.port;
    let app = TestApp::spawn_with(|c| crate::support::with_smtp(c, port)).await;
    let anna = platform_admin(&app, "anna@platform.nl").await;
    let form = anna.page(NEW).await.form(NEW);
    let resp = anna
        .submit(
            &form,
            &[
                ("slug", "nieuwdorp"),
                ("naam", "Gemeente Nieuwdorp"),
                ("tijdzone", "Europe/Amsterdam"),
                ("beheerder_naam", "Nel Nieuw"),
                ("beheerder_email", "nel@nieuwdorp.nl"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    // The link is mailed to Nel (after Anna's own), never shown to whoever made the gemeente.
    assert!(resp.html().contains_text("gemaild naar nel@nieuwdorp.nl"));
    assert!(!resp.text().contains("/beheer/inschrijven/"));
    let mails = smtp.wait_for(2).await;
    let mail = mails
        .iter()
        .find(|m| m.to == ["nel@nieuwdorp.nl".to_owned()])
        .expect("the invitation");
    let link = mail.link("/beheer/inschrijven/");
    let path = &link[link.find("/beheer/inschrijven/").unwrap()..];
    let created = audit_entries(&app).await;
    assert!(created.iter().any(|e| e.action == "tenant.created"
        && e.object_id.as_deref() == Some("nieuwdorp")
        && e.actor == "anna@platform.nl"));
    assert!(created.iter().any(|e| e.action == "staff.created"));
    let nel = Staff::enrol_with_link(&app, "nel@nieuwdorp.nl", path).await;
    let home = nel.page("/beheer/nieuwdorp").await;
    assert!(home.contains_text("Gemeente Nieuwdorp"));
    assert_eq!(nel.get("/beheer/dijkstad").await.status(), 404);
    assert_eq!(nel.get("/beheer/nieuwdorp/auditlog").await.status(), 200);
    // The portal serves it, in the default theme with its initials logo.
    let portal = app.get("/g/nieuwdorp/logo").send().await.unwrap();
    assert_eq!(portal.status(), 200);
    assert!(portal.text().await.unwrap().contains(">N</text>"));
}

#[tokio::test]
async fn reserved_taken_and_malformed_slugs_and_a_known_address_are_refused_without_a_trace() {
    let app = TestApp::spawn().await;
    let anna = platform_admin(&app, "anna@platform.nl").await;
    staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    let before = gemeente_count(&app).await;
    let form = anna.page(NEW).await.form(NEW);
    let good = [
        ("naam", "Gemeente Elders"),
        ("tijdzone", "Europe/Amsterdam"),
        ("beheerder_naam", "Els"),
        ("beheerder_email", "els@elders.nl"),
    ];
    for (slug, says) in [
        ("platform", "woord dat de console zelf gebruikt"),
        ("static", "woord dat de console zelf gebruikt"),
        ("dijkstad", "al een gemeente met deze slug"),
        ("Elders!", "2 tot 40 kleine letters"),
    ] {
        let mut fields = good.to_vec();
        fields.push(("slug", slug));
        let resp = anna.submit(&form, &fields).await;
        assert_eq!(resp.status(), 422, "{slug}");
        let html = resp.html();
        assert!(
            html.by_id("slug-fout").unwrap_or_default().contains(says),
            "{slug}"
        );
        assert!(html.by_id("fouten").is_some());
    }
    let resp = anna
        .submit(
            &form,
            &[
                ("slug", "elders"),
                ("naam", "Gemeente Elders"),
                ("tijdzone", "Mars/Olympus"),
                ("beheerder_naam", "Bo"),
                ("beheerder_email", "bo@dijkstad.nl"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.html().by_id("tijdzone-fout").is_some());
    let resp = anna
        .submit(
            &form,
            &[
                ("slug", "elders"),
                ("naam", "Gemeente Elders"),
                ("tijdzone", "Europe/Amsterdam"),
                ("beheerder_naam", "Bo"),
                ("beheerder_email", "bo@dijkstad.nl"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.html()
            .by_id("beheerder_email-fout")
            .unwrap_or_default()
            .contains("heeft al een account")
    );
    assert_eq!(gemeente_count(&app).await, before, "nothing half-made");
    // Each refusal on the record, naming its fields; none made anything.
    let entries = audit_entries(&app).await;
    let created: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "tenant.created")
        .collect();
    assert!(created.iter().all(|e| e.result == "refused"));
    assert_eq!(
        created[0].reason.as_deref(),
        Some("invalid:beheerder_email")
    );
}

#[tokio::test]
async fn two_gemeenten_for_one_new_address_at_once_leave_exactly_one() {
    let app = TestApp::spawn().await;
    let anna = platform_admin(&app, "anna@platform.nl").await;
    let form = anna.page(NEW).await.form(NEW);
    let (anna, form) = (&anna, &form);
    let send = |slug: &'static str| async move {
        let fields = [
            ("slug", slug),
            ("naam", "Gemeente Tweeling"),
            ("tijdzone", "Europe/Amsterdam"),
            ("beheerder_naam", "Tom"),
            ("beheerder_email", "tom@tweeling.nl"),
        ];
        anna.submit(form, &fields).await
    };
    let (a, b, c) = tokio::join!(send("tweeling-a"), send("tweeling-b"), send("tweeling-c"));
    let made = [a.status(), b.status(), c.status()];
    assert_eq!(made.iter().filter(|s| **s == 200).count(), 1, "{made:?}");
    let tenants = app.app.as_ref().unwrap().tenants().list().await.unwrap();
    let twins = tenants
        .iter()
        .filter(|t| t.slug.as_str().starts_with("tweeling"))
        .count();
    assert_eq!(
        twins, 1,
        "a gemeente without its beheerder was removed again"
    );
    let entries = audit_entries(&app).await;
    let created = entries
        .iter()
        .filter(|e| e.action == "tenant.created" && e.result == "ok")
        .count();
    let removed = entries
        .iter()
        .filter(|e| e.action == "tenant.removed")
        .count();
    assert_eq!(created - removed, 1);
}

#[tokio::test]
async fn only_platformbeheerders_reach_the_gemeenten_pages() {
    let app = TestApp::spawn().await;
    let bo = staff(&app, "bo@dijkstad.nl", "dijkstad", Role::TenantAdmin).await;
    for path in [
        NEW,
        UPLOAD,
        "/beheer/platform/gemeenten/dijkstad/bundel.tar.gz",
    ] {
        assert_eq!(bo.get(path).await.status(), 403, "{path}");
    }
    let resp = bo.post_form(NEW, &[("slug", "stiekem")]).await;
    assert_eq!(resp.status(), 403);
    assert!(
        app.app
            .as_ref()
            .unwrap()
            .tenants()
            .by_slug("stiekem")
            .await
            .unwrap()
            .is_none()
    );
    let anna = platform_admin(&app, "anna@platform.nl").await;
    let (status, _, _) = anna
        .download("/beheer/platform/gemeenten/nergens/bundel.tar.gz")
        .await;
    assert_eq!(status, 404);
}

/// A beheerder whose address is free when asked and taken when the account is made: another
/// request that took it in between.
struct TakenMeanwhile;

#[async_trait::async_trait]
impl FirstBeheerder for TakenMeanwhile {
    async fn has_account(&self, _: &EmailAddress) -> Result<bool, StoreError> {
        Ok(false)
    }

    async fn create(&self, _: &NewStaff, _: Actor, _: &str) -> Result<NewLink, EnrolError> {
        Err(EnrolError::EmailTaken(EmailTaken))
    }
}

#[tokio::test]
async fn a_gemeente_whose_beheerder_cannot_be_made_is_taken_back() {
    let app = TestApp::spawn().await;
    let tenants = app.app.as_ref().unwrap().tenants();
    let before = gemeente_count(&app).await;
    let new = NewGemeente {
        slug: "laatkomer".parse().unwrap(),
        name: "Gemeente Laatkomer".into(),
        time_zone: chrono_tz::Europe::Amsterdam,
        admin_name: "Lot".into(),
        admin_email: EmailAddress::parse("lot@laatkomer.nl").unwrap(),
    };
    let refused = found(
        tenants,
        &TakenMeanwhile,
        &new,
        Actor::Operator,
        "cli",
        app.clock.now(),
    )
    .await;
    assert!(
        matches!(refused, Err(FoundError::EmailTaken)),
        "{refused:?}"
    );
    assert!(tenants.by_slug("laatkomer").await.unwrap().is_none());
    assert_eq!(gemeente_count(&app).await, before);
    let entries = audit_entries(&app).await;
    let created = entries
        .iter()
        .find(|e| e.action == "tenant.created" && e.result == "ok")
        .unwrap();
    let removed = entries
        .iter()
        .find(|e| e.action == "tenant.removed")
        .unwrap();
    assert_eq!(created.tenant, removed.tenant);
    assert_eq!(removed.reason.as_deref(), Some("staff_email_taken"));
    assert_eq!(removed.object_id.as_deref(), Some("laatkomer"));
    // The slug is free again: made properly, it exists.
    let made = found(
        tenants,
        app.app.as_ref().unwrap().console().enrolment(),
        &new,
        Actor::Operator,
        "cli",
        app.clock.now(),
    )
    .await;
    assert!(made.is_ok(), "{made:?}");
    assert!(tenants.by_slug("laatkomer").await.unwrap().is_some());
}
