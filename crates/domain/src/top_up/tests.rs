//! The top-up use cases' decisions on in-memory ports: who is sold top-ups and what the cap
//! leaves of the options.

use super::*;
use crate::testing::{
    FakeParking, FakePayments, FakeRules, MANDATEE, NoProvider, OWNER, account, noon, product,
    through_mandate,
};
use crate::{AccountId, FixedClock};
use chrono::Duration;

const P: ProductId = ProductId(5);

/// Top-ups of product `P` (its owner's view and a mandatee's) under a cap of `cap` euros a
/// calendar year, of which `counted` cents are taken.
fn capped(cap: Option<i64>, counted: i64) -> (TopUps, Arc<FakePayments>) {
    let owner = product(P.0, 0);
    let mandated = through_mandate(owner.clone(), 9, Some(0));
    let store = FakeParking::default()
        .with(OWNER, owner)
        .with(MANDATEE, mandated);
    let rules = FakeRules {
        cap: cap.map(|euros| (CapPeriod::CalendarYear, Decimal::from(euros))),
        ..FakeRules::cent_a_minute()
    };
    let payments = Arc::new(FakePayments::counting(counted));
    let settings = TopUpSettings {
        expiry: Duration::minutes(15),
        webhook_url: "https://example.nl/api/v1/payments/webhook".to_owned(),
        provider_name: "simulated",
    };
    let top_ups = TopUps::new(
        payments.clone(),
        Arc::new(store),
        Arc::new(rules),
        (Arc::new(NoProvider), None),
        Arc::new(FixedClock::new(noon())),
        settings,
    );
    (top_ups, payments)
}

async fn offered(top_ups: &TopUps, who: AccountId) -> Option<Offer> {
    let offered = top_ups.offer(&account(who), P).await;
    offered.unwrap_or_else(|e| panic!("{e}"))
}

fn amounts(offer: &Offer) -> Vec<Decimal> {
    offer.options.iter().map(|o| o.amount).collect()
}

#[tokio::test]
async fn without_a_cap_every_option_is_offered() {
    let (top_ups, _) = capped(None, 5_000);
    let offer = offered(&top_ups, OWNER).await;
    let offer = offer.unwrap_or_else(|| panic!("no offer"));
    assert_eq!(amounts(&offer), vec![Decimal::from(10), Decimal::from(25)]);
    assert_eq!(offer.refusal, None);
}

#[tokio::test]
async fn the_cap_leaves_out_the_options_over_its_room_and_refuses_when_none_fit() {
    // 30 euros a year, 20 taken: 10 euros of room.
    let (top_ups, _) = capped(Some(30), 2_000);
    let offer = offered(&top_ups, OWNER).await;
    let offer = offer.unwrap_or_else(|| panic!("no offer"));
    assert_eq!(amounts(&offer), vec![Decimal::from(10)]);
    assert_eq!(offer.refusal, None);
    let (top_ups, _) = capped(Some(30), 2_500);
    let offer = offered(&top_ups, OWNER).await;
    let offer = offer.unwrap_or_else(|| panic!("no offer"));
    assert!(offer.options.is_empty());
    assert_eq!(offer.refusal, Some(ReasonCode::TopUpCapReached));
}

#[tokio::test]
async fn buying_over_the_cap_is_refused_and_opens_no_payment() {
    let (top_ups, payments) = capped(Some(30), 2_500);
    let bought = top_ups
        .buy(
            &account(OWNER),
            P,
            "25.00",
            "https://example.nl",
            "Opwaarderen",
        )
        .await;
    let bought = bought.unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        bought,
        Some(Bought::Refused(ReasonCode::TopUpCapReached))
    ));
    assert!(payments.opened().is_empty());
    let unknown = top_ups
        .buy(
            &account(OWNER),
            P,
            "7.00",
            "https://example.nl",
            "Opwaarderen",
        )
        .await;
    assert!(matches!(unknown, Ok(Some(Bought::UnknownOption))));
}

#[tokio::test]
async fn a_mandatee_is_sold_no_top_ups() {
    let (top_ups, payments) = capped(None, 0);
    assert!(offered(&top_ups, MANDATEE).await.is_none());
    let bought = top_ups
        .buy(
            &account(MANDATEE),
            P,
            "10.00",
            "https://example.nl",
            "Opwaarderen",
        )
        .await;
    assert!(matches!(bought, Ok(None)));
    assert!(payments.opened().is_empty());
}

#[tokio::test]
async fn a_cap_no_balance_can_hold_is_a_recorded_rule_error_and_sells_nothing() {
    let owner = product(P.0, 0);
    let rules = FakeRules {
        cap: Some((CapPeriod::CalendarYear, Decimal::MAX)),
        ..FakeRules::cent_a_minute()
    };
    let recorded = rules.recorded.clone();
    let top_ups = TopUps::new(
        Arc::new(FakePayments::counting(0)),
        Arc::new(FakeParking::default().with(OWNER, owner)),
        Arc::new(rules),
        (Arc::new(NoProvider), None),
        Arc::new(FixedClock::new(noon())),
        TopUpSettings {
            expiry: Duration::minutes(15),
            webhook_url: "https://example.nl/api/v1/payments/webhook".to_owned(),
            provider_name: "simulated",
        },
    );
    let offer = offered(&top_ups, OWNER).await;
    let offer = offer.unwrap_or_else(|| panic!("no offer"));
    assert!(offer.options.is_empty(), "sold under a cap it cannot read");
    assert_eq!(offer.refusal, Some(ReasonCode::RuleError));
    let recorded = recorded.lock().map(|r| r.clone()).unwrap_or_default();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert!(recorded[0].starts_with("top_up_cap: "), "{recorded:?}");
}

#[tokio::test]
async fn a_suspended_gemeente_sells_nothing() {
    let owner = ProductView {
        tenant_suspended: true,
        ..product(P.0, 0)
    };
    let payments = Arc::new(FakePayments::counting(0));
    let top_ups = TopUps::new(
        payments.clone(),
        Arc::new(FakeParking::default().with(OWNER, owner)),
        Arc::new(FakeRules::cent_a_minute()),
        (Arc::new(NoProvider), None),
        Arc::new(FixedClock::new(noon())),
        TopUpSettings {
            expiry: Duration::minutes(15),
            webhook_url: "https://example.nl/api/v1/payments/webhook".to_owned(),
            provider_name: "simulated",
        },
    );
    let offer = offered(&top_ups, OWNER).await;
    let offer = offer.unwrap_or_else(|| panic!("no offer"));
    assert!(offer.options.is_empty());
    assert_eq!(offer.refusal, Some(ReasonCode::TenantSuspended));
    let bought = top_ups
        .buy(&account(OWNER), P, "10.00", "https://example.nl", "test")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        bought,
        Some(Bought::Refused(ReasonCode::TenantSuspended))
    ));
    assert!(payments.opened().is_empty(), "no payment was opened");
}
