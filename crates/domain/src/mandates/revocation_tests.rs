//! How a revocation ends a mandatee's sessions, on in-memory rules: what each keeps, what goes
//! back and to which balance.

use super::*;
use crate::history::EntryKind;
use crate::testing::{FakeRules, noon, plate, product};
use chrono::Duration;

fn session(start: DateTime<Utc>, minutes: i64, reserved: i64) -> ParkingSession {
    ParkingSession {
        id: SessionId(4),
        product: ProductId(5),
        account: Some(AccountId(2)),
        plate: plate("GB-12-HJ"),
        start,
        end: start + Duration::minutes(minutes),
        reserved,
        versions: crate::parking::RuleVersions::new(1, 1),
        breakdown: None,
        deleted_at: None,
        stopped_at: None,
        mandate: Some(MandateId(9)),
    }
}

async fn end(s: &ParkingSession) -> SessionEnd {
    let rules = FakeRules::cent_a_minute();
    let ended = session_end(&rules, &product(5, 0), s, noon()).await;
    ended.unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_running_session_stops_now_and_refunds_its_unused_part_to_the_mandate() {
    let running = session(noon() - Duration::minutes(15), 60, 60);
    let end = end(&running).await;
    assert_eq!((end.end, end.reserved, end.delete), (noon(), 15, false));
    let refund = end.refund(ProductId(5), Wallet::of_mandate(MandateId(9), true));
    assert_eq!((refund.kind, refund.amount), (EntryKind::Refund, 45));
    assert_eq!(refund.wallet, Wallet::Mandate(MandateId(9)));
}

#[tokio::test]
async fn a_planned_session_is_deleted_and_refunded_whole_to_the_owner_of_an_imported_mandate() {
    let planned = session(noon() + Duration::hours(1), 60, 60);
    let end = end(&planned).await;
    assert!(end.delete);
    assert_eq!(end.reserved, 0);
    let refund = end.refund(ProductId(5), Wallet::of_mandate(MandateId(9), false));
    assert_eq!((refund.amount, refund.wallet), (60, Wallet::Product));
}

#[tokio::test]
async fn a_running_session_never_keeps_more_than_it_holds() {
    // Reserved less than its time now costs (cheaper rules when it started).
    let running = session(noon() - Duration::minutes(30), 60, 10);
    let end = end(&running).await;
    assert_eq!(end.reserved, 10);
    let refund = end.refund(ProductId(5), Wallet::Product);
    assert!(refund.is_empty());
}

#[tokio::test]
async fn a_running_session_the_rules_price_finer_than_the_balance_keeps_all_and_is_recorded() {
    // Half a cent a minute: the 15 minutes used cost EUR 0.075, which no balance in cents holds.
    let rules = FakeRules {
        per_minute: Decimal::new(5, 3),
        ..FakeRules::cent_a_minute()
    };
    let running = session(noon() - Duration::minutes(15), 60, 30);
    let end = session_end(&rules, &product(5, 0), &running, noon()).await;
    let end = end.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((end.end, end.reserved, end.delete), (noon(), 30, false));
    assert!(end.refund(ProductId(5), Wallet::Product).is_empty());
    let recorded = rules.recorded();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert!(recorded[0].starts_with("cost: 0.075"), "{recorded:?}");
}
