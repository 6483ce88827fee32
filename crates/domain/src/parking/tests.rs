//! The parking use cases' decisions on in-memory ports: refusals, which balance pays, what a
//! stop or a deletion refunds and what an extension adds.

use super::*;
use crate::history::EntryKind;
use crate::ids::{MandateId, ProductId};
use crate::ledger::{BelongsTo, Wallet};
use crate::rules::ReasonCode;
use crate::testing::{
    FakeParking, FakeRules, MANDATEE, OWNER, account, noon, plate, product, through_mandate,
};
use crate::{AccountId, FixedClock};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use std::sync::Arc;

const P: ProductId = ProductId(5);

fn parking(store: &Arc<FakeParking>, clock: &Arc<FixedClock>) -> Parking {
    let rules = Arc::new(FakeRules::cent_a_minute());
    Parking::new(store.clone(), rules, clock.clone(), Duration::minutes(1))
}

fn request(start: DateTime<Utc>, minutes: i64) -> StartRequest {
    StartRequest {
        plate: plate("GB-12-HJ"),
        start: Some(start),
        end: Some(start + Duration::minutes(minutes)),
    }
}

/// Starts `minutes` at `start` as `who`; the session, or the outcome that is not one.
async fn start(
    parking: &Parking,
    who: AccountId,
    start: DateTime<Utc>,
    minutes: i64,
) -> Result<ParkingSession, Outcome<ParkingSession>> {
    let started = parking
        .start(&account(who), P, request(start, minutes))
        .await;
    match started.unwrap_or_else(|e| panic!("{e}")) {
        Outcome::Done(s) => Ok(s),
        other => Err(other),
    }
}

fn setup(views: Vec<(AccountId, ProductView)>) -> (Arc<FakeParking>, Arc<FixedClock>) {
    let store = views
        .into_iter()
        .fold(FakeParking::default(), |s, (a, v)| s.with(a, v));
    (Arc::new(store), Arc::new(FixedClock::new(noon())))
}

#[tokio::test]
async fn an_owners_start_reserves_its_cost_from_the_products_balance() {
    let (store, clock) = setup(vec![(OWNER, product(P.0, 500))]);
    let session = start(&parking(&store, &clock), OWNER, noon(), 60).await;
    let session = session.unwrap_or_else(|o| panic!("not started: {o:?}"));
    assert_eq!(session.reserved, 60);
    let postings = store.postings();
    assert_eq!(postings.len(), 1);
    assert_eq!(postings[0].kind, EntryKind::Reservation);
    assert_eq!(postings[0].amount, -60);
    assert_eq!(postings[0].wallet, Wallet::Product);
    assert_eq!(postings[0].belongs_to, BelongsTo::Session(session.id));
    assert_eq!(store.balance(OWNER, P), Some(440));
}

#[tokio::test]
async fn a_start_the_balance_cannot_pay_is_refused_and_posts_nothing() {
    let (store, clock) = setup(vec![(OWNER, product(P.0, 30))]);
    let refused = start(&parking(&store, &clock), OWNER, noon(), 60).await;
    match refused {
        Err(Outcome::Refused(verdict)) => {
            assert_eq!(verdict.reasons, vec![ReasonCode::InsufficientBalance]);
        }
        other => panic!("not refused: {other:?}"),
    }
    assert!(store.postings().is_empty());
    assert_eq!(store.balance(OWNER, P), Some(30));
}

#[tokio::test]
async fn a_start_long_past_is_invalid_and_one_just_past_counts_from_now() {
    let (store, clock) = setup(vec![(OWNER, product(P.0, 500))]);
    let parking = parking(&store, &clock);
    let past = start(&parking, OWNER, noon() - Duration::minutes(10), 60).await;
    assert!(matches!(
        past,
        Err(Outcome::Invalid(ParkingProblem::StartInPast))
    ));
    let just = start(&parking, OWNER, noon() - Duration::seconds(30), 60).await;
    let just = just.unwrap_or_else(|o| panic!("not started: {o:?}"));
    assert_eq!(just.start, noon());
}

#[tokio::test]
async fn a_mandatee_with_a_balance_of_its_own_pays_from_it() {
    let owner = product(P.0, 500);
    let mandated = through_mandate(owner.clone(), 9, Some(100));
    let (store, clock) = setup(vec![(OWNER, owner), (MANDATEE, mandated)]);
    start(&parking(&store, &clock), MANDATEE, noon(), 60)
        .await
        .unwrap_or_else(|o| panic!("not started: {o:?}"));
    let postings = store.postings();
    assert_eq!(postings[0].wallet, Wallet::Mandate(MandateId(9)));
    assert_eq!(store.balance(MANDATEE, P), Some(40));
    assert_eq!(store.balance(OWNER, P), Some(500));
}

#[tokio::test]
async fn a_mandatee_without_a_balance_spends_the_owners() {
    let owner = product(P.0, 500);
    let mandated = through_mandate(owner.clone(), 9, None);
    let (store, clock) = setup(vec![(OWNER, owner), (MANDATEE, mandated)]);
    start(&parking(&store, &clock), MANDATEE, noon(), 60)
        .await
        .unwrap_or_else(|o| panic!("not started: {o:?}"));
    assert_eq!(store.postings()[0].wallet, Wallet::Product);
    assert_eq!(store.balance(OWNER, P), Some(440));
}

#[tokio::test]
async fn a_stop_refunds_the_unused_part_to_the_balance_that_paid() {
    let owner = product(P.0, 500);
    let mandated = through_mandate(owner.clone(), 9, Some(100));
    let (store, clock) = setup(vec![(OWNER, owner), (MANDATEE, mandated)]);
    let parking = parking(&store, &clock);
    let session = start(&parking, MANDATEE, noon(), 60).await;
    let session = session.unwrap_or_else(|o| panic!("not started: {o:?}"));
    clock.advance(Duration::minutes(20));
    let ended = parking.end(&account(MANDATEE), session.id).await;
    assert!(matches!(ended, Ok(Outcome::Done(_))));
    let refund = store
        .postings()
        .pop()
        .unwrap_or_else(|| panic!("no refund"));
    assert_eq!(refund.kind, EntryKind::Refund);
    assert_eq!(refund.amount, 40);
    assert_eq!(refund.wallet, Wallet::Mandate(MandateId(9)));
    let stored = store.stored(session.id).unwrap_or_else(|| panic!("gone"));
    assert_eq!(
        (stored.reserved, stored.end),
        (20, noon() + Duration::minutes(20))
    );
    assert!(stored.stopped_at.is_some());
    assert_eq!(store.balance(MANDATEE, P), Some(80));
}

#[tokio::test]
async fn deleting_a_planned_session_refunds_all_of_it_and_a_second_end_is_refused() {
    let (store, clock) = setup(vec![(OWNER, product(P.0, 500))]);
    let parking = parking(&store, &clock);
    let later = noon() + Duration::hours(2);
    let session = start(&parking, OWNER, later, 60).await;
    let session = session.unwrap_or_else(|o| panic!("not started: {o:?}"));
    let ended = parking.end(&account(OWNER), session.id).await;
    assert!(matches!(ended, Ok(Outcome::Done(_))));
    let refund = store
        .postings()
        .pop()
        .unwrap_or_else(|| panic!("no refund"));
    assert_eq!((refund.kind, refund.amount), (EntryKind::Refund, 60));
    assert!(
        store
            .stored(session.id)
            .is_some_and(|s| s.deleted_at.is_some())
    );
    assert_eq!(store.balance(OWNER, P), Some(500));
    let again = parking.end(&account(OWNER), session.id).await;
    assert!(matches!(
        again,
        Ok(Outcome::Invalid(ParkingProblem::SessionOver))
    ));
    assert_eq!(store.postings().len(), 2);
}

#[tokio::test]
async fn an_extension_reserves_only_the_difference_and_is_refused_beyond_the_balance() {
    let (store, clock) = setup(vec![(OWNER, product(P.0, 100))]);
    let parking = parking(&store, &clock);
    let session = start(&parking, OWNER, noon(), 60).await;
    let session = session.unwrap_or_else(|o| panic!("not started: {o:?}"));
    let me = account(OWNER);
    let longer = parking
        .extend(&me, session.id, noon() + Duration::minutes(90))
        .await;
    assert!(matches!(longer, Ok(Outcome::Done(ref s)) if s.reserved == 90));
    let extra = store
        .postings()
        .pop()
        .unwrap_or_else(|| panic!("no posting"));
    assert_eq!((extra.kind, extra.amount), (EntryKind::Reservation, -30));
    // 10 cents left: another 30 minutes do not fit.
    let refused = parking
        .extend(&me, session.id, noon() + Duration::minutes(120))
        .await;
    assert!(matches!(refused, Ok(Outcome::Refused(_))));
    assert_eq!(store.balance(OWNER, P), Some(10));
}

#[tokio::test]
async fn a_cost_the_balance_cannot_hold_is_a_recorded_rule_error_and_charges_nothing() {
    // Half a cent a minute: an hour and a minute costs EUR 0.305, which no balance in cents holds.
    let rules = Arc::new(FakeRules {
        per_minute: Decimal::new(5, 3),
        ..FakeRules::cent_a_minute()
    });
    let (store, clock) = setup(vec![(OWNER, product(P.0, 500))]);
    let parking = Parking::new(store.clone(), rules.clone(), clock, Duration::minutes(1));
    let quoted = parking
        .quote(&account(OWNER), P, request(noon(), 61))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let refused = start(&parking, OWNER, noon(), 61).await;
    for verdict in [
        match quoted {
            Outcome::Refused(verdict) => verdict,
            other => panic!("quote not refused: {other:?}"),
        },
        match refused {
            Err(Outcome::Refused(verdict)) => verdict,
            other => panic!("start not refused: {other:?}"),
        },
    ] {
        assert_eq!(verdict.reasons, vec![ReasonCode::RuleError]);
        assert!(verdict.alternatives.is_empty());
    }
    assert!(store.postings().is_empty());
    assert_eq!(store.balance(OWNER, P), Some(500));
    let recorded = rules.recorded();
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    assert!(recorded[1].starts_with("cost: 0.305"), "{recorded:?}");
}

#[tokio::test]
async fn a_stop_the_rules_price_finer_than_the_balance_keeps_its_reservation_and_records_why() {
    // Half a cent a minute: an hour is EUR 0.30, but 21 minutes used are EUR 0.105.
    let rules = Arc::new(FakeRules {
        per_minute: Decimal::new(5, 3),
        ..FakeRules::cent_a_minute()
    });
    let (store, clock) = setup(vec![(OWNER, product(P.0, 500))]);
    let parking = Parking::new(
        store.clone(),
        rules.clone(),
        clock.clone(),
        Duration::minutes(1),
    );
    let session = start(&parking, OWNER, noon(), 60).await;
    let session = session.unwrap_or_else(|o| panic!("not started: {o:?}"));
    assert_eq!(store.balance(OWNER, P), Some(470));
    clock.advance(Duration::minutes(21));
    let ended = parking.end(&account(OWNER), session.id).await;
    assert!(matches!(ended, Ok(Outcome::Done(_))), "{ended:?}");
    let stored = store.stored(session.id).unwrap_or_else(|| panic!("gone"));
    assert_eq!(
        (stored.reserved, stored.end),
        (30, noon() + Duration::minutes(21))
    );
    assert!(
        store.postings().iter().all(|p| p.kind != EntryKind::Refund),
        "{:?}",
        store.postings()
    );
    assert_eq!(store.balance(OWNER, P), Some(470));
    let recorded = rules.recorded();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert!(recorded[0].starts_with("cost: 0.105"), "{recorded:?}");
}

#[tokio::test]
async fn the_owner_sees_who_of_the_mandatees_started_a_session_and_a_mandatee_only_their_own() {
    let owner = product(P.0, 500);
    let mandated = through_mandate(owner.clone(), 9, Some(100));
    let store = FakeParking::default()
        .with(OWNER, owner)
        .with(MANDATEE, mandated)
        .with_mandatee(P, MandateId(9), "gast@example.nl")
        .with_mandatee(ProductId(6), MandateId(10), "ander@example.nl");
    let (store, clock) = (Arc::new(store), Arc::new(FixedClock::new(noon())));
    let parking = parking(&store, &clock);
    let theirs = start(&parking, MANDATEE, noon(), 30).await;
    let theirs = theirs.unwrap_or_else(|o| panic!("not started: {o:?}"));
    let own = start(&parking, OWNER, noon() + Duration::hours(2), 30).await;
    let own = own.unwrap_or_else(|o| panic!("not started: {o:?}"));
    let listed = |who| {
        let parking = &parking;
        async move {
            parking
                .sessions(&account(who), P)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|| panic!("not the resident's product"))
        }
    };
    let seen = listed(OWNER).await;
    assert_eq!(seen.len(), 2);
    let by_mandatee = seen.iter().find(|l| l.session.id == theirs.id).unwrap();
    assert!(!by_mandatee.mine);
    assert_eq!(
        by_mandatee.started_by.as_ref().map(|e| e.as_str()),
        Some("gast@example.nl")
    );
    let by_owner = seen.iter().find(|l| l.session.id == own.id).unwrap();
    assert!(by_owner.mine);
    assert_eq!(by_owner.started_by, None);
    let seen = listed(MANDATEE).await;
    assert_eq!(seen.len(), 1, "a mandatee sees only their own");
    assert!(seen[0].mine);
    assert_eq!(seen[0].started_by, None);
}

#[tokio::test]
async fn a_suspended_gemeente_starts_and_extends_nothing_but_its_sessions_stop() {
    let (store, clock) = setup(vec![(OWNER, product(P.0, 500))]);
    let p = parking(&store, &clock);
    let running = start(&p, OWNER, noon(), 60).await;
    let running = running.unwrap_or_else(|o| panic!("not started: {o:?}"));
    store.suspend();
    let quote = p.quote(&account(OWNER), P, request(noon(), 30)).await;
    match quote.unwrap_or_else(|e| panic!("{e}")) {
        Outcome::Refused(v) => assert_eq!(v.reasons, vec![ReasonCode::TenantSuspended]),
        other => panic!("quoted: {other:?}"),
    }
    match start(&p, OWNER, noon() + Duration::hours(2), 30).await {
        Err(Outcome::Refused(v)) => {
            assert_eq!(v.reasons, vec![ReasonCode::TenantSuspended]);
            assert!(v.alternatives.is_empty());
        }
        other => panic!("started: {other:?}"),
    }
    assert_eq!(store.postings().len(), 1, "only the first start reserved");
    // The session started before runs on: an extension is refused, a stop refunds.
    let extended = p
        .extend(
            &account(OWNER),
            running.id,
            running.end + Duration::hours(1),
        )
        .await;
    match extended.unwrap_or_else(|e| panic!("{e}")) {
        Outcome::Refused(v) => assert_eq!(v.reasons, vec![ReasonCode::TenantSuspended]),
        other => panic!("extended: {other:?}"),
    }
    clock.advance(Duration::minutes(20));
    let stopped = p.end(&account(OWNER), running.id).await;
    match stopped.unwrap_or_else(|e| panic!("{e}")) {
        Outcome::Done(s) => assert_eq!(s.reserved, 20),
        other => panic!("not stopped: {other:?}"),
    }
    assert_eq!(store.balance(OWNER, P), Some(480));
}
