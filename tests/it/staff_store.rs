//! The staff side's storage through its real use cases on the database under test: second
//! factors that work once, one-time enrolment links, the audit trail written with its change
//! (and append-only), and `parkportal staff create|reset-2fa`.

use crate::support::{TestApp, parkportal_command, postgres_url};
use chrono::{Duration, Utc};
use parkportal_domain::audit::{Actor, AuditEntry, AuditFilter, AuditRepository};
use parkportal_domain::staff::totp::{TotpSecret, step_of};
use parkportal_domain::staff::{
    CodeError, ENROLMENT_PATH, EnrolError, Enrolled, Enrolment, NewLink, NewStaff, OpenLink,
    PasswordStep, Role, StaffAuth, StaffPassword, StaffState,
};
use parkportal_domain::{Clock, EmailAddress, Token};
use sea_orm::ConnectionTrait;
use std::sync::Arc;

const PASSWORD: &str = "fietsbel4242xy";
const CLIENT: &str = "127.0.0.1";

/// The staff use cases and the audit trail as the server builds them.
struct Staff {
    auth: StaffAuth,
    enrolment: Enrolment,
    audit: Arc<dyn AuditRepository>,
}

fn staff(app: &TestApp) -> Staff {
    let db = app.app.as_ref().unwrap().database();
    let (auth, enrolment, audit) =
        parkportal::wiring::staff(&app.config, db, app.clock.clone(), false, &app.url).unwrap();
    Staff {
        auth,
        enrolment,
        audit,
    }
}

fn platform_admin(email: &str) -> NewStaff {
    NewStaff {
        email: EmailAddress::parse(email).unwrap(),
        name: "Petra Platform".into(),
        platform_admin: true,
        role: None,
    }
}

/// Follows an enrolment link to the end: password, authenticator (confirmed with the code of
/// the current step), recovery codes. The secret comes back for the codes of later logins.
async fn enrol(app: &TestApp, s: &Staff, link: &NewLink) -> (TotpSecret, Enrolled) {
    let password = StaffPassword::parse(PASSWORD, PASSWORD).unwrap();
    let chosen = s
        .enrolment
        .choose_password(&link.token, &password, CLIENT)
        .await
        .unwrap();
    let StaffState::Pending(session) = s.auth.resume(&chosen.session, CLIENT).await.unwrap() else {
        panic!("the enrolment session is pending");
    };
    let secret = s.enrolment.secret(&session).await.unwrap();
    let code = secret.code_at(step_of(app.clock.now()));
    let enrolled = s
        .enrolment
        .confirm(&chosen.session, &session, &code, CLIENT)
        .await
        .unwrap();
    (secret, enrolled)
}

/// A session waiting for the code, after the right password.
async fn password_step(s: &Staff, email: &str) -> Token {
    match s.auth.password(email, PASSWORD, CLIENT).await.unwrap() {
        PasswordStep::Code(token) => token,
        PasswordStep::NotEnrolled => panic!("{email} is enrolled"),
    }
}

async fn count_entries(s: &Staff, action: &str) -> usize {
    let filter = AuditFilter {
        action: Some(action.to_owned()),
        ..AuditFilter::default()
    };
    s.audit.entries(&filter, 1000, 0).await.unwrap().len()
}

#[tokio::test]
async fn a_codes_step_is_accepted_once_and_of_two_racing_uses_one_wins() {
    let app = TestApp::spawn().await;
    let s = staff(&app);
    let email = "petra@parkportal.test";
    let link = s
        .enrolment
        .create(&platform_admin(email), Actor::Operator, "cli")
        .await
        .unwrap();
    let (secret, _) = enrol(&app, &s, &link).await;

    // The confirmation spent the current step: its code does not log in.
    let step = step_of(app.clock.now());
    let waiting = password_step(&s, email).await;
    let replay = s
        .auth
        .code(&waiting, &secret.code_at(step), CLIENT)
        .await
        .unwrap_err();
    assert!(matches!(replay, CodeError::Replayed), "{replay:?}");

    // The next step's code logs in once; the same code again is a replay.
    app.clock.advance(Duration::seconds(30));
    let next = secret.code_at(step + 1);
    let (active, member) = s.auth.code(&waiting, &next, CLIENT).await.unwrap();
    assert_eq!(member.email.as_str(), email);
    assert!(matches!(
        s.auth.resume(&active, CLIENT).await.unwrap(),
        StaffState::Active(_)
    ));
    assert!(
        matches!(
            s.auth.resume(&waiting, CLIENT).await.unwrap(),
            StaffState::Unknown
        ),
        "the waiting session was replaced"
    );
    let again = password_step(&s, email).await;
    let replay = s.auth.code(&again, &next, CLIENT).await.unwrap_err();
    assert!(matches!(replay, CodeError::Replayed), "{replay:?}");
    assert_eq!(count_entries(&s, "staff.login.code").await, 3);

    // Two logins send the code of a fresh step at once: exactly one gets in.
    app.clock.advance(Duration::seconds(60));
    let code = secret.code_at(step + 3);
    let (a, b) = (
        password_step(&s, email).await,
        password_step(&s, email).await,
    );
    let (first, second) = tokio::join!(
        s.auth.code(&a, &code, CLIENT),
        s.auth.code(&b, &code, CLIENT)
    );
    let won = [&first, &second].iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{first:?} {second:?}");
    let lost = if first.is_ok() { second } else { first };
    assert!(matches!(lost, Err(CodeError::Replayed)), "{lost:?}");
    let active = app
        .sql_i64("SELECT COUNT(*) FROM staff_sessions WHERE stage = 'active'")
        .await;
    assert_eq!(
        active, 3,
        "the enrolment's, the first login's and the race winner's, no more"
    );
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let app = TestApp::spawn().await;
    let s = staff(&app);
    let email = "rik@parkportal.test";
    let link = s
        .enrolment
        .create(&platform_admin(email), Actor::Operator, "cli")
        .await
        .unwrap();
    let (_, enrolled) = enrol(&app, &s, &link).await;
    assert_eq!(enrolled.recovery.len(), 10);
    let code = enrolled.recovery[3].shown();

    let waiting = password_step(&s, email).await;
    let (active, member) = s.auth.code(&waiting, &code, CLIENT).await.unwrap();
    assert!(matches!(
        s.auth.resume(&active, CLIENT).await.unwrap(),
        StaffState::Active(_)
    ));
    assert_eq!(s.auth.recovery_codes_left(&member).await.unwrap(), 9);

    let waiting = password_step(&s, email).await;
    let used = s.auth.code(&waiting, &code, CLIENT).await.unwrap_err();
    assert!(matches!(used, CodeError::Wrong), "{used:?}");
    assert_eq!(s.auth.recovery_codes_left(&member).await.unwrap(), 9);
    // Another unused one still works.
    s.auth
        .code(&waiting, &enrolled.recovery[4].shown(), CLIENT)
        .await
        .unwrap();
    assert_eq!(s.auth.recovery_codes_left(&member).await.unwrap(), 8);
    assert_eq!(count_entries(&s, "staff.login.recovery_code").await, 3);
}

#[tokio::test]
async fn a_used_or_expired_enrolment_link_is_refused_and_a_raced_one_is_used_once() {
    let app = TestApp::spawn().await;
    let s = staff(&app);
    let password = StaffPassword::parse(PASSWORD, PASSWORD).unwrap();

    let used = s
        .enrolment
        .create(
            &platform_admin("used@parkportal.test"),
            Actor::Operator,
            "cli",
        )
        .await
        .unwrap();
    s.enrolment
        .choose_password(&used.token, &password, CLIENT)
        .await
        .unwrap();
    assert!(matches!(
        s.enrolment.open(&used.token).await.unwrap(),
        OpenLink::Used
    ));
    let again = s
        .enrolment
        .choose_password(&used.token, &password, CLIENT)
        .await
        .unwrap_err();
    assert!(matches!(again, EnrolError::LinkUnusable), "{again:?}");

    // Two tabs choose the password with the same link at once: one of them has it.
    let raced = s
        .enrolment
        .create(
            &platform_admin("race@parkportal.test"),
            Actor::Operator,
            "cli",
        )
        .await
        .unwrap();
    let (first, second) = tokio::join!(
        s.enrolment.choose_password(&raced.token, &password, CLIENT),
        s.enrolment
            .choose_password(&raced.token, &password, "10.0.0.2")
    );
    assert_eq!(
        [first.is_ok(), second.is_ok()]
            .iter()
            .filter(|ok| **ok)
            .count(),
        1,
        "{first:?} {second:?}"
    );
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM staff_sessions WHERE stage = 'enrol'")
            .await,
        2,
        "one enrolment session per used link"
    );

    let late = s
        .enrolment
        .create(
            &platform_admin("late@parkportal.test"),
            Actor::Operator,
            "cli",
        )
        .await
        .unwrap();
    app.clock.advance(Duration::hours(24));
    assert!(matches!(
        s.enrolment.open(&late.token).await.unwrap(),
        OpenLink::Expired
    ));
    let expired = s
        .enrolment
        .choose_password(&late.token, &password, CLIENT)
        .await
        .unwrap_err();
    assert!(matches!(expired, EnrolError::LinkUnusable), "{expired:?}");
    assert_eq!(count_entries(&s, "staff.enrolment.password").await, 2);
    assert_eq!(
        app.sql_text(
            "SELECT password_hash FROM staff_members WHERE email = 'late@parkportal.test'"
        )
        .await,
        None
    );
}

#[tokio::test]
async fn a_change_that_rolls_back_leaves_no_audit_entry() {
    let app = TestApp::spawn().await;
    let s = staff(&app);
    let new = platform_admin("dubbel@parkportal.test");
    s.enrolment
        .create(&new, Actor::Operator, "cli")
        .await
        .unwrap();
    let taken = s
        .enrolment
        .create(&new, Actor::Operator, "cli")
        .await
        .unwrap_err();
    assert!(matches!(taken, EnrolError::EmailTaken(_)), "{taken:?}");
    assert_eq!(count_entries(&s, "staff.created").await, 1);

    // Two creates of one new address at once: one account, one entry, one refusal.
    let racing = platform_admin("tegelijk@parkportal.test");
    let (first, second) = tokio::join!(
        s.enrolment.create(&racing, Actor::Operator, "cli"),
        s.enrolment.create(&racing, Actor::Operator, "cli")
    );
    let refused = [&first, &second]
        .iter()
        .filter(|r| matches!(r, Err(EnrolError::EmailTaken(_))))
        .count();
    assert_eq!(refused, 1, "{first:?} {second:?}");
    assert_eq!(count_entries(&s, "staff.created").await, 2);
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM staff_members").await, 2);
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM staff_enrolments").await,
        2
    );

    // The entry names what was made, by whom and from where.
    let entries = s
        .audit
        .entries(
            &AuditFilter {
                action: Some("staff.created".into()),
                ..AuditFilter::default()
            },
            10,
            0,
        )
        .await
        .unwrap();
    let entry = &entries[0];
    assert_eq!(entry.actor, "command line");
    assert_eq!(entry.origin, "cli");
    assert_eq!(entry.role.as_deref(), Some("platform_admin"));
    assert_eq!(entry.object_kind.as_deref(), Some("staff"));
    let id = app
        .sql_i64("SELECT id FROM staff_members WHERE email = 'tegelijk@parkportal.test'")
        .await;
    assert_eq!(entry.object_id, Some(id.to_string()));
}

#[tokio::test]
async fn the_audit_trail_is_append_only_and_only_housekeeping_removes_old_entries() {
    let app = TestApp::spawn().await;
    let s = staff(&app);
    let now = app.clock.now();
    for (action, at) in [
        // Both within the retention, so the housekeeping every start runs in the background
        // leaves them alone; the test moves the clock.
        ("test.old", now - Duration::days(100)),
        ("test.recent", now - Duration::days(10)),
    ] {
        s.audit
            .record(&AuditEntry::new(Actor::Operator, action, "cli", at))
            .await
            .unwrap();
    }
    let db = app.app.as_ref().unwrap().database().connection();
    let update = db
        .execute_unprepared("UPDATE audit_log SET actor = 'someone else'")
        .await;
    assert!(update.is_err(), "an entry was changed");
    if postgres_url().is_some() {
        let delete = db.execute_unprepared("DELETE FROM audit_log").await;
        assert!(delete.is_err(), "an entry was deleted by plain SQL");
        let truncate = db.execute_unprepared("TRUNCATE audit_log").await;
        assert!(truncate.is_err(), "the trail was truncated");
    }
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM audit_log WHERE actor = 'command line'")
            .await,
        2
    );

    // Housekeeping, the one way an entry goes, removes what passes the retention (730 days) and
    // nothing sooner.
    let housekeeping = || async {
        app.app
            .as_ref()
            .unwrap()
            .housekeeping()
            .run_once()
            .await
            .unwrap()
            .audit_entries
    };
    // Counted by what is left: the housekeeping every start runs in the background may be the
    // one that removes an entry, when it runs late.
    app.clock.advance(Duration::days(620));
    housekeeping().await;
    assert_eq!(count_entries(&s, "test.old").await, 1);
    assert_eq!(count_entries(&s, "test.recent").await, 1);
    app.clock.advance(Duration::days(20));
    housekeeping().await;
    assert_eq!(count_entries(&s, "test.old").await, 0);
    assert_eq!(count_entries(&s, "test.recent").await, 1);
    if postgres_url().is_some() {
        // The permission was the housekeeping transaction's own, and ended with it.
        let delete = db.execute_unprepared("DELETE FROM audit_log").await;
        assert!(
            delete.is_err(),
            "a delete outside housekeeping went through"
        );
    }
    app.clock.advance(Duration::days(90));
    housekeeping().await;
    assert_eq!(count_entries(&s, "test.recent").await, 0);
}

/// The token of the link on the `link:` line of `stdout`.
fn printed_link(stdout: &str, public_url: &str) -> Token {
    let link = stdout
        .lines()
        .find_map(|l| l.strip_prefix("link:"))
        .unwrap_or_else(|| panic!("no link in {stdout}"))
        .trim();
    let token = link
        .strip_prefix(&format!("{public_url}{ENROLMENT_PATH}"))
        .unwrap_or_else(|| panic!("{link} is not under {public_url}{ENROLMENT_PATH}"));
    Token::parse(token).unwrap()
}

/// Runs `parkportal staff ARGS` and expects it to fail, saying `says`.
async fn fails(app: &TestApp, args: &[&str], says: &str) {
    let out = staff_command(app, args).await;
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(err.contains(says), "{args:?}: {err}");
}

const PUBLIC: &str = "https://parkeren.example.nl";

/// Runs `parkportal staff ARGS` on the test's database, off the test's runtime: the application
/// in this process must go on (a write it has begun would otherwise hold SQLite's lock).
async fn staff_command(app: &TestApp, args: &[&str]) -> std::process::Output {
    let mut cmd = parkportal_command(app.dir.path());
    cmd.env(
        "PARKPORTAL__DATABASE__URL",
        app.config.database.url.clone().unwrap(),
    )
    .env("PARKPORTAL__AUTH__HASH_MEMORY_KIB", "64")
    .env("PARKPORTAL__AUTH__HASH_ITERATIONS", "1")
    .env("PARKPORTAL__SERVER__PUBLIC_URL", PUBLIC)
    .arg("staff")
    .args(args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn staff_create_and_reset_2fa_print_working_links_and_refuse_bad_input() {
    let app = TestApp::spawn().await;
    let s = staff(&app);
    // The command runs on the system clock.
    app.clock.set(Utc::now());
    let public = PUBLIC;
    let email = "Beheer@Dijkstad.nl";
    let out = staff_command(
        &app,
        &[
            "create",
            "--email",
            email,
            "--name",
            "Bea Beheer",
            "--tenant",
            "dijkstad",
            "--role",
            "tenant_admin",
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("valid until:"), "{stdout}");
    let token = printed_link(&stdout, public);
    let OpenLink::Valid(member) = s.enrolment.open(&token).await.unwrap() else {
        panic!("the printed link does not work");
    };
    let dijkstad = app.tenant("dijkstad").await;
    assert_eq!(member.email.as_str(), "beheer@dijkstad.nl");
    assert_eq!(member.role_in(dijkstad.id), Some(Role::TenantAdmin));
    let link = NewLink {
        staff: member.id,
        token,
        expires_at: Utc::now(),
    };
    enrol(&app, &s, &link).await;

    let base = ["create", "--email", "nieuw@dijkstad.nl", "--name", "Nieuw"];
    let with = |extra: &[&'static str]| [&base[..], extra].concat();
    fails(
        &app,
        &with(&["--tenant", "nergens", "--role", "staff"]),
        "no gemeente with slug nergens",
    )
    .await;
    fails(
        &app,
        &with(&["--tenant", "dijkstad", "--role", "baas"]),
        "--role must be staff or tenant_admin",
    )
    .await;
    fails(
        &app,
        &with(&[]),
        "give --platform-admin, or --tenant SLUG with --role",
    )
    .await;
    fails(
        &app,
        &with(&[
            "--platform-admin",
            "--tenant",
            "dijkstad",
            "--role",
            "staff",
        ]),
        "--platform-admin takes no --tenant or --role",
    )
    .await;
    fails(
        &app,
        &[
            "create",
            "--email",
            email,
            "--name",
            "Nog een",
            "--platform-admin",
        ],
        "beheer@dijkstad.nl already has a staff account",
    )
    .await;
    fails(
        &app,
        &["reset-2fa", "--email", "niemand@dijkstad.nl"],
        "no staff account",
    )
    .await;
    assert_eq!(app.sql_i64("SELECT COUNT(*) FROM staff_members").await, 1);

    // A lost authenticator: the reset forgets it and its codes, and prints a new link.
    let out = staff_command(&app, &["reset-2fa", "--email", email]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let renewed = printed_link(&String::from_utf8_lossy(&out.stdout), public);
    assert!(matches!(
        s.auth.password(email, PASSWORD, CLIENT).await.unwrap(),
        PasswordStep::NotEnrolled
    ));
    assert!(matches!(
        s.enrolment.open(&renewed).await.unwrap(),
        OpenLink::Valid(_)
    ));
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM staff_recovery_codes")
            .await,
        0
    );
    let link = NewLink {
        staff: member.id,
        token: renewed,
        expires_at: Utc::now(),
    };
    enrol(&app, &s, &link).await;
    assert_eq!(count_entries(&s, "staff.second_factor_reset").await, 1);

    // Shut out and let back in from the command line.
    let out = staff_command(&app, &["deactivate", "--email", email]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("deactivated"));
    assert!(matches!(
        s.auth.password(email, PASSWORD, CLIENT).await,
        Err(parkportal_domain::staff::StaffLoginError::InvalidCredentials)
    ));
    assert_eq!(count_entries(&s, "staff.deactivated").await, 1);
    let out = staff_command(&app, &["reactivate", "--email", email]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count_entries(&s, "staff.reactivated").await, 1);
    fails(
        &app,
        &["deactivate", "--email", "niemand@dijkstad.nl"],
        "no staff account",
    )
    .await;
}

#[tokio::test]
async fn a_create_that_fails_inside_its_transaction_leaves_neither_account_nor_entry() {
    let app = TestApp::spawn().await;
    let s = staff(&app);
    // A gemeente that does not exist: the role's row fails its foreign key after the account's
    // row and before the entry are written, and the whole transaction rolls back.
    let new = NewStaff {
        email: EmailAddress::parse("geen@gemeente.test").unwrap(),
        name: "Niemand".into(),
        platform_admin: false,
        role: Some(parkportal_domain::staff::Assignment {
            tenant: parkportal_domain::TenantId(999_999),
            role: Role::Staff,
        }),
    };
    let created = s.enrolment.create(&new, Actor::Operator, "cli").await;
    assert!(created.is_err(), "{created:?}");
    assert_eq!(
        app.sql_i64("SELECT COUNT(*) FROM staff_members WHERE email = 'geen@gemeente.test'")
            .await,
        0
    );
    assert_eq!(count_entries(&s, "staff.created").await, 0);
}
