//! Housekeeping deletes what has served its purpose, and nothing before its time.

use crate::support::smtp::SmtpServer;
use crate::support::{TestApp, with_smtp};
use chrono::Duration;

#[tokio::test]
async fn idle_sessions_expired_challenges_and_old_mails_leave_the_database() {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let app = TestApp::spawn_with(|c| with_smtp(c, port)).await;
    app.issue_to("dijkstad", "opruim@example.nl").await;
    let link = smtp.wait_for(1).await[0].link("/koppel/");
    let path = link[app.app.as_ref().unwrap().public_url().len()..].to_owned();
    let pw = "fietsbel42xy";
    app.post_form(&path, &[("wachtwoord", pw), ("herhaling", pw)])
        .await;
    app.page("/wachtwoord-vergeten").await; // a captcha challenge
    let count = |table: &'static str| {
        let app = &app;
        async move { app.sql_i64(&format!("SELECT COUNT(*) FROM {table}")).await }
    };
    let housekeeping = app.app.as_ref().unwrap().housekeeping().clone();
    // Give the worker its moment: the mail must be marked sent.
    app.wait_sent(1).await;

    housekeeping.run_once().await.unwrap();
    assert_eq!(count("auth_sessions").await, 1, "a live session stays");
    assert_eq!(count("captchas").await, 1, "a fresh challenge stays");
    assert_eq!(count("outbox").await, 1);

    app.clock.advance(Duration::minutes(16));
    let purged = housekeeping.run_once().await.unwrap();
    assert_eq!(purged.sessions, 1);
    assert_eq!(purged.captchas, 1);
    assert_eq!(count("auth_sessions").await, 0);
    assert_eq!(
        count("outbox").await,
        1,
        "sent mails stay for outbox.keep_sent"
    );

    app.clock.advance(Duration::days(31));
    let purged = housekeeping.run_once().await.unwrap();
    assert_eq!(purged.mails, 1);
    assert_eq!(count("outbox").await, 0);
    assert_eq!(
        count("email_links").await,
        1,
        "a used link stays a while for its clear page"
    );
    app.clock.advance(Duration::days(7));
    housekeeping.run_once().await.unwrap();
    assert_eq!(count("email_links").await, 0);
    assert_eq!(
        count("accounts").await,
        1,
        "accounts are never housekeeping's business"
    );
}
