//! The black-box tests of Parkportal: one binary, a module per feature. Each test starts the real
//! application in-process on 127.0.0.1, port 0, with a fixed clock and a fresh database: a
//! temporary SQLite file, or, when `TEST_DATABASE_URL` is set, a PostgreSQL database cloned from a
//! migrated template; the databases of finished test processes are dropped by the next test.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests may panic: a panic is a failure"
)]

mod accounts;
mod admin_api;
mod admin_api_batches;
mod admin_api_bundle;
mod admin_api_dry_run;
mod all_sessions;
mod api_auth;
mod api_contract;
mod api_times;
mod batches;
mod captcha;
mod cli;
mod config;
mod confirmations;
mod console;
mod csrf;
mod demo_import;
mod demo_mode;
mod favorites;
mod getting_started;
mod history;
mod housekeeping;
mod limits;
mod login_protection;
mod loket;
mod loket_api;
mod loket_queue;
mod loket_rules;
mod mandate_import;
mod mandates;
mod messages;
mod migrations;
mod ops;
mod outbox;
mod own_data;
mod parking;
mod parking_concurrency;
mod parking_pages;
mod plate_switch;
mod preferences;
mod privacy;
mod remember_me;
mod route_kinds;
mod rules;
mod serve;
mod session_checks;
mod session_races;
mod settings;
mod staff_store;
mod support;
mod tenancy;
mod top_ups;
