//! `cargo run -p parkportal-browser-tests`: starts Parkportal on the demo data, loads every page of
//! `pages.toml` in Debian's headless Chromium at each width (the frame also in every demo theme and
//! contrast scheme) and fails on any axe-core WCAG 2.1 A/AA violation. Without Chromium or the npm
//! packages it skips, except under `CI=true`, where that is a failure. Then it walks the
//! resident's main tasks of `walks.toml` at 320 and 1280 px, checking every page a step lands on
//! and what it must show (the message after each action, the plate as written, the gemeente in
//! the header).
//!
//! `SCREENSHOTS=dir` also writes a full-page PNG of every check (and of every walkthrough step);
//! `ONLY_SCREENSHOTS=prefix` only of the loads whose label starts so (`walk-` in CI).

#![expect(
    clippy::print_stdout,
    reason = "a command-line check reports on standard output"
)]

use chrono::{TimeZone, Utc};
use parkportal::{Application, Config};
use parkportal_browser_tests::{coverage_problems, fixtures, load};
use parkportal_domain::FixedClock;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;

#[derive(Serialize)]
struct Job {
    url: String,
    origin: String,
    width: u32,
    label: String,
    expect: u16,
    locale: &'static str,
    cookies: Vec<Cookie>,
    screenshot: Option<String>,
    submit: Option<String>,
    /// A walkthrough's steps (`walks.toml`), its placeholders filled.
    steps: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct Cookie {
    name: String,
    value: String,
}

#[derive(Deserialize)]
struct Outcome {
    url: String,
    width: u32,
    label: String,
    status: u16,
    violations: Vec<Violation>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Violation {
    id: String,
    impact: Option<String>,
    help: String,
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    target: String,
}

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn repo() -> PathBuf {
    here().join("../..")
}

/// A missing tool: a skip on a developer's machine, a failure in CI.
fn missing(what: &str) -> ExitCode {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        eprintln!("browser checks: {what} (CI=true: this is a failure)");
        ExitCode::FAILURE
    } else {
        println!("browser checks skipped: {what}");
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let text = match std::fs::read_to_string(here().join("pages.toml")) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("cannot read pages.toml: {e}");
            return ExitCode::FAILURE;
        }
    };
    let list = match load(&text) {
        Ok(list) => list,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let walks = match std::fs::read_to_string(here().join("walks.toml"))
        .map_err(|e| format!("cannot read walks.toml: {e}"))
        .and_then(|text| parkportal_browser_tests::load_walks(&text))
    {
        Ok(walks) => walks,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let routes = parkportal_browser_tests::all_routes();
    let routes: Vec<&str> = routes.iter().map(String::as_str).collect();
    let problems = coverage_problems(&list, &routes);
    if !problems.is_empty() {
        for p in problems {
            eprintln!("browser checks: {p}");
        }
        return ExitCode::FAILURE;
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).is_file() {
        return missing(&format!(
            "no Chromium at {chromium} (apt-get install chromium)"
        ));
    }
    if !here().join("node_modules/axe-core").is_dir()
        || !here().join("node_modules/playwright-core").is_dir()
    {
        return missing("the npm packages are not installed (npm ci --prefix tests/browser)");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(list, walks, chromium))
}

async fn run(
    list: parkportal_browser_tests::PageList,
    walks: parkportal_browser_tests::WalkList,
    chromium: String,
) -> ExitCode {
    let Ok(dir) = tempfile::tempdir() else {
        eprintln!("cannot create a temporary folder");
        return ExitCode::FAILURE;
    };
    let mut config = Config::default();
    config.server.port = 0;
    config.paths.tenants = repo().join("tenants");
    config.paths.themes = repo().join("themes");
    config.database.path = dir.path().join("browser.db");
    // The fixtures work the batches themselves, so that the waiting batch's page (its
    // progress bar and script) is still waiting when it is checked.
    config.batches.worker = false;
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
            .single()
            .unwrap_or_default(),
    ));
    let app = match Application::start(&config, clock).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("cannot start Parkportal: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The list has /demo/outbox: the checks need the genuine demo, the embedded database this
    // start created (see `DemoMode`).
    if app.state().demo_outbox().is_none() {
        eprintln!("Parkportal did not start in demo mode: /demo/outbox would be missing");
        return ExitCode::FAILURE;
    }
    let origin = app.url();
    let slugs: Vec<String> = match app.tenants().list().await {
        Ok(t) => t.iter().map(|t| t.slug.to_string()).collect(),
        Err(e) => {
            eprintln!("cannot list the demo gemeenten: {e}");
            return ExitCode::FAILURE;
        }
    };
    let made = match fixtures::make(&app).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot make the fixtures: {e}");
            return ExitCode::FAILURE;
        }
    };
    let shots = std::env::var("SCREENSHOTS").ok().map(PathBuf::from);
    // Only the screenshots of the loads whose label starts so (CI keeps the walkthroughs').
    let shots_of = std::env::var("ONLY_SCREENSHOTS").ok();
    let shot_for = |label: &str| {
        shots.as_ref().filter(|_| {
            shots_of
                .as_ref()
                .is_none_or(|p| label.starts_with(p.as_str()))
        })
    };
    if let Some(dir) = &shots {
        let _ = std::fs::create_dir_all(dir);
    }
    // While working on a few pages: only the loads whose label holds `ONLY` (never in CI).
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let only = std::env::var("ONLY").ok().filter(|_| !ci);
    let mut jobs = Vec::new();
    let mut add = |path: &str,
                   expect: u16,
                   contrast: &str,
                   label: String,
                   extra: Vec<Cookie>,
                   submit: Option<String>| {
        if only.as_ref().is_some_and(|o| !label.contains(o.as_str())) {
            return;
        }
        for width in &list.widths {
            let screenshot = shot_for(&label).map(|d| {
                let name = format!("{label}-{width}.png").replace(['/', ':', '?', '=', '&'], "_");
                d.join(name).display().to_string()
            });
            jobs.push(Job {
                url: format!("{origin}{path}"),
                origin: origin.clone(),
                width: *width,
                label: label.clone(),
                expect,
                // Dutch is the default; one scheme of each gemeente runs in English as well.
                locale: if contrast == "dark" { "en-GB" } else { "nl-NL" },
                cookies: std::iter::once(Cookie {
                    name: "pp_contrast".into(),
                    value: contrast.into(),
                })
                .chain(extra.iter().map(|c| Cookie {
                    name: c.name.clone(),
                    value: c.value.clone(),
                }))
                .collect(),
                screenshot,
                submit: submit.clone(),
                steps: None,
            });
        }
    };
    for page in &list.pages {
        let mut extra = Vec::new();
        if page.login == "resident" {
            extra.push(Cookie {
                name: "pp_session".into(),
                value: made.resident_session.clone(),
            });
        }
        if let Some(token) = made.console_sessions.get(page.login.as_str()) {
            extra.push(Cookie {
                name: "pp_staff".into(),
                value: token.clone(),
            });
        }
        if page.fixture == "login-step" {
            extra.push(Cookie {
                name: "pp_login_email".into(),
                value: fixtures::RESIDENT.replace('@', "%40"),
            });
        }
        let visit = made.fill(page.url_path());
        let pressed = if page.submit.is_some() {
            "-submitted"
        } else {
            ""
        };
        let label = format!("platform{}-{}{pressed}", page.url_path(), page.login);
        add(
            &visit,
            page.status,
            "theme",
            label,
            extra,
            page.submit.clone(),
        );
    }
    for slug in &slugs {
        for path in &list.frame_paths {
            for contrast in &list.contrasts {
                add(
                    &format!("/g/{slug}{path}"),
                    200,
                    contrast,
                    format!("{slug}{path}-{contrast}"),
                    Vec::new(),
                    None,
                );
            }
        }
    }
    // The walkthroughs, after every page (they change their own products only).
    for width in parkportal_browser_tests::WALK_WIDTHS {
        if !made.walks.contains_key(&width) {
            eprintln!("the fixtures made no walkthrough products for {width}px");
            return ExitCode::FAILURE;
        }
        for walk in &walks.walks {
            let label = format!("walk-{}", walk.name);
            if only.as_ref().is_some_and(|o| !label.contains(o.as_str())) {
                continue;
            }
            let steps = match serde_json::to_string(&walk.steps)
                .map(|text| made.fill_walk(&text, width))
                .and_then(|text| serde_json::from_str(&text))
            {
                Ok(steps) => steps,
                Err(e) => {
                    eprintln!("walks.toml: {}: {e}", walk.name);
                    return ExitCode::FAILURE;
                }
            };
            jobs.push(Job {
                url: format!("{origin}/"),
                origin: origin.clone(),
                width,
                label: label.clone(),
                expect: 200,
                locale: "nl-NL",
                cookies: vec![
                    Cookie {
                        name: "pp_contrast".into(),
                        value: "theme".into(),
                    },
                    Cookie {
                        name: "pp_session".into(),
                        value: made.resident_session.clone(),
                    },
                ],
                screenshot: shot_for(&label)
                    .map(|d| d.join(format!("{label}-{width}")).display().to_string()),
                submit: None,
                steps: Some(steps),
            });
        }
    }
    let expected: Vec<(String, u32, u16)> = jobs
        .iter()
        .map(|j| (j.url.clone(), j.width, j.expect))
        .collect();
    let jobs_file = dir.path().join("jobs.json");
    let payload = serde_json::json!({ "chromium": chromium, "jobs": jobs });
    if let Err(e) = std::fs::write(&jobs_file, payload.to_string()) {
        eprintln!("cannot write the jobs: {e}");
        return ExitCode::FAILURE;
    }
    let started = std::time::Instant::now();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(here().join("axe-check.mjs"))
            .arg(&jobs_file)
            .current_dir(here())
            .output()
    })
    .await;
    let _ = app.stop().await;
    let output = match output {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return missing(&format!("cannot run node: {e}")),
        Err(e) => {
            eprintln!("the browser run panicked: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !output.status.success() {
        eprintln!(
            "axe-check.mjs failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        return ExitCode::FAILURE;
    }
    let outcomes: Vec<Outcome> = match serde_json::from_slice(&output.stdout) {
        Ok(o) => o,
        Err(e) => {
            eprintln!(
                "unreadable results ({e}): {}",
                String::from_utf8_lossy(&output.stdout)
            );
            return ExitCode::FAILURE;
        }
    };
    let mut failures = 0;
    for (outcome, (url, width, expect)) in outcomes.iter().zip(&expected) {
        debug_assert_eq!((&outcome.url, outcome.width), (url, *width));
        if let Some(error) = &outcome.error {
            failures += 1;
            eprintln!("FAIL {} at {}px: {error}", outcome.label, outcome.width);
            // What a walk found before it stopped says why it stopped.
            for v in &outcome.violations {
                eprintln!("  before that: {}", v.help);
            }
            continue;
        }
        if outcome.status != *expect {
            failures += 1;
            eprintln!(
                "FAIL {} at {}px: status {} instead of {expect}",
                outcome.label, outcome.width, outcome.status
            );
        }
        for v in &outcome.violations {
            failures += 1;
            let targets: Vec<&str> = v.nodes.iter().map(|n| n.target.as_str()).collect();
            eprintln!(
                "FAIL {} at {}px: {} ({}): {} [{}]",
                outcome.label,
                outcome.width,
                v.id,
                v.impact.as_deref().unwrap_or("?"),
                v.help,
                targets.join(", ")
            );
        }
    }
    if outcomes.len() != expected.len() {
        eprintln!(
            "expected {} results, got {}",
            expected.len(),
            outcomes.len()
        );
        return ExitCode::FAILURE;
    }
    println!(
        "browser checks: {} page loads, {} failures, {:.1}s",
        outcomes.len(),
        failures,
        started.elapsed().as_secs_f64()
    );
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
