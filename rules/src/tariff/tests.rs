//! Hand-worked examples on the demo gemeenten's tariffs, and the properties every tariff keeps.

use super::*;
use chrono::TimeZone;
use chrono_tz::Europe::Amsterdam;
use proptest::prelude::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn demo(slug: &str) -> Tariff {
    let path = format!(
        "{}/../tenants/{slug}/tariffs/bezoekers.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    Tariff::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A local Amsterdam time.
fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Amsterdam
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn cost(t: &Tariff, from: DateTime<Utc>, to: DateTime<Utc>) -> CostBreakdown {
    t.cost(Amsterdam, "centrum", from, to)
}

#[test]
fn dijkstad_charges_paid_minutes_on_a_monday() {
    let c = cost(
        &demo("dijkstad"),
        at(2026, 3, 2, 10, 0),
        at(2026, 3, 2, 12, 0),
    );
    assert_eq!(c.amount, d("2.40"));
    assert_eq!(c.days.len(), 1);
    assert_eq!(c.days[0].paid_seconds, 7200);
    assert_eq!(c.days[0].steps[0].steps, 120);
}

#[test]
fn dijkstad_across_midnight_charges_each_day_for_its_paid_hours() {
    // Monday 20:00 to Tuesday 10:00: Monday 20-22 (2 h) and Tuesday 09-10 (1 h).
    let c = cost(
        &demo("dijkstad"),
        at(2026, 3, 2, 20, 0),
        at(2026, 3, 3, 10, 0),
    );
    assert_eq!(c.amount, d("3.60"));
    let per_day: Vec<_> = c
        .days
        .iter()
        .map(|d| (d.date.to_string(), d.amount))
        .collect();
    assert_eq!(
        per_day,
        vec![
            ("2026-03-02".into(), d("2.40")),
            ("2026-03-03".into(), d("1.20"))
        ]
    );
    assert_eq!(c.days[1].windows[0].from, at(2026, 3, 3, 9, 0));
}

#[test]
fn dijkstad_on_both_dst_change_days() {
    let t = demo("dijkstad");
    // Saturday 28 March 21:00 to Sunday 29 March 13:00 (summer time starts at 02:00 that night):
    // Saturday 21-22 and Sunday 12-13, one hour each.
    let c = cost(&t, at(2026, 3, 28, 21, 0), at(2026, 3, 29, 13, 0));
    assert_eq!(c.amount, d("2.40"));
    assert_eq!(
        c.days[1].windows[0].from,
        Utc.with_ymd_and_hms(2026, 3, 29, 10, 0, 0).unwrap(),
        "12:00 CEST"
    );
    // The whole of Sunday 25 October (winter time returns): paid 12-17, five hours.
    let c = cost(&t, at(2026, 10, 25, 0, 0), at(2026, 10, 26, 0, 0));
    assert_eq!(c.amount, d("6.00"));
    assert_eq!(c.days.len(), 1);
}

#[test]
fn dijkstad_charges_nothing_at_night_or_on_sunday_morning() {
    let t = demo("dijkstad");
    assert_eq!(
        cost(&t, at(2026, 3, 3, 0, 0), at(2026, 3, 3, 6, 0)).amount,
        d("0")
    );
    assert_eq!(
        cost(&t, at(2026, 3, 8, 9, 0), at(2026, 3, 8, 12, 0)).amount,
        d("0")
    );
    assert_eq!(
        cost(&t, at(2026, 3, 8, 11, 0), at(2026, 3, 8, 12, 30)).amount,
        d("0.60")
    );
}

#[test]
fn havenmond_rounds_up_to_units_of_ten_minutes_per_day() {
    let t = demo("havenmond");
    assert_eq!(t.unit, TariffUnit::Minutes);
    assert_eq!(
        cost(&t, at(2026, 3, 2, 10, 0), at(2026, 3, 2, 10, 25)).amount,
        d("30")
    );
    // Monday 22:00 to Tuesday 09:45: 60 minutes and 45 minutes (5 units), 110 in all.
    let c = cost(&t, at(2026, 3, 2, 22, 0), at(2026, 3, 3, 9, 45));
    assert_eq!(c.amount, d("110"));
    assert_eq!(
        c.days.iter().map(|d| d.amount).collect::<Vec<_>>(),
        vec![d("60"), d("50")]
    );
}

#[test]
fn havenmond_on_both_dst_change_days() {
    let t = demo("havenmond");
    // 09:00-23:00 is 14 hours of real time on both change days: the change happens at night.
    for (m, day) in [(3, 29), (10, 25)] {
        let (from, to) = day_bounds(Amsterdam, NaiveDate::from_ymd_opt(2026, m, day).unwrap());
        assert_eq!(cost(&t, from, to).amount, d("840"), "2026-{m}-{day}");
    }
}

#[test]
fn weidevelde_skips_sunday_in_a_weekend_session() {
    // Saturday 20:00 to Monday 10:00: Saturday 20-21, nothing on Sunday, Monday 09-10.
    let c = cost(
        &demo("weidevelde"),
        at(2026, 3, 7, 20, 0),
        at(2026, 3, 9, 10, 0),
    );
    assert_eq!(c.amount, d("1.20"));
    assert_eq!(c.days.len(), 3);
    assert_eq!(c.days[1].amount, d("0"));
    assert!(c.days[1].windows.is_empty());
}

#[test]
fn weidevelde_on_both_dst_change_days() {
    let t = demo("weidevelde");
    // Sunday 29 March (summer time starts): no paid parking on Sundays at all.
    let (from, to) = day_bounds(Amsterdam, NaiveDate::from_ymd_opt(2026, 3, 29).unwrap());
    assert_eq!(cost(&t, from, to).amount, d("0"));
    // Saturday 24 October 20:00 to Monday 26 October 10:00, across the night winter time returns:
    // Saturday 20-21 and Monday 09-10, an hour each.
    let c = cost(&t, at(2026, 10, 24, 20, 0), at(2026, 10, 26, 10, 0));
    assert_eq!(c.amount, d("1.20"));
    assert_eq!(
        c.days[2].windows[0].from,
        Utc.with_ymd_and_hms(2026, 10, 26, 8, 0, 0).unwrap(),
        "09:00 CET"
    );
}

#[test]
fn every_demo_visitor_scheme_charges_monday_daytime_and_not_the_night() {
    for slug in ["dijkstad", "havenmond", "weidevelde"] {
        let t = demo(slug);
        assert!(
            cost(&t, at(2026, 3, 2, 10, 0), at(2026, 3, 2, 20, 0)).amount > d("0"),
            "{slug}"
        );
        assert_eq!(
            cost(&t, at(2026, 3, 2, 0, 0), at(2026, 3, 2, 6, 0)).amount,
            d("0"),
            "{slug}"
        );
        assert_eq!(t.fare_parts.len(), 1, "{slug}: one flat rate");
        assert!(t.day_maximum.is_none());
    }
}

#[test]
fn a_round_the_clock_frame_charges_23_and_25_hours_on_the_change_days() {
    let t = Tariff::from_toml(
        "unit = \"minutes\"\n[[time_frame]]\ndays = [\"daily\"]\nstart = \"00:00\"\nend = \"24:00\"\n[[fare_part]]\nstep_minutes = 1\namount = \"1\"\n",
    )
    .unwrap();
    for (m, day, hours) in [(3, 29, 23), (10, 25, 25), (3, 2, 24)] {
        let (from, to) = day_bounds(Amsterdam, NaiveDate::from_ymd_opt(2026, m, day).unwrap());
        assert_eq!(
            cost(&t, from, to).amount,
            Decimal::from(hours * 60),
            "2026-{m}-{day}"
        );
    }
}

#[test]
fn progressive_parts_special_days_zones_and_the_day_maximum() {
    let t = Tariff::from_toml(
        r#"
unit = "money"
day_maximum = "5.00"
free_dates = ["2026-12-25"]
[[time_frame]]
days = ["daily"]
start = "08:00"
end = "20:00"
zones = ["centrum"]
[[time_frame]]
days = ["2026-12-24"]
start = "08:00"
end = "12:00"
zones = ["centrum"]
[[fare_part]]
step_minutes = 60
amount = "1.00"
to_minute = 120
[[fare_part]]
step_minutes = 30
amount = "1.50"
from_minute = 120
"#,
    )
    .unwrap();
    // 2.5 hours: two hours at 1.00, then one started half hour at 1.50.
    assert_eq!(
        cost(&t, at(2026, 3, 2, 8, 0), at(2026, 3, 2, 10, 30)).amount,
        d("3.50")
    );
    // A whole day is capped at 5.00.
    let c = cost(&t, at(2026, 3, 2, 8, 0), at(2026, 3, 2, 20, 0));
    assert_eq!((c.amount, c.days[0].capped), (d("5.00"), true));
    // Christmas Eve only 08-12; Christmas Day free; another zone free.
    assert_eq!(
        cost(&t, at(2026, 12, 24, 11, 0), at(2026, 12, 24, 15, 0)).amount,
        d("1.00")
    );
    assert_eq!(
        cost(&t, at(2026, 12, 25, 8, 0), at(2026, 12, 25, 20, 0)).amount,
        d("0")
    );
    assert_eq!(
        t.cost(
            Amsterdam,
            "haven",
            at(2026, 3, 2, 8, 0),
            at(2026, 3, 2, 20, 0)
        )
        .amount,
        d("0")
    );
}

#[test]
fn bad_tariff_files_are_refused_with_a_reason() {
    let cases = [
        ("unit = \"money\"\n", "fare_part"),
        ("unit = \"money\"\ncolour = 1\n", "colour"),
        (
            "unit = \"money\"\n[[fare_part]]\nstep_minutes = 0\namount = \"1\"\n",
            "step_minutes",
        ),
        (
            "unit = \"minutes\"\n[[fare_part]]\nstep_minutes = 1\namount = \"0.5\"\n",
            "whole",
        ),
        (
            "unit = \"money\"\n[[fare_part]]\nstep_minutes = 1\namount = \"-1\"\n",
            "negative",
        ),
        (
            "unit = \"money\"\n[[time_frame]]\ndays = [\"moonday\"]\nstart = \"09:00\"\nend = \"10:00\"\n[[fare_part]]\nstep_minutes = 1\namount = \"1\"\n",
            "weekday",
        ),
        (
            "unit = \"money\"\n[[time_frame]]\ndays = [\"daily\"]\nstart = \"10:00\"\nend = \"09:00\"\n[[fare_part]]\nstep_minutes = 1\namount = \"1\"\n",
            "before it starts",
        ),
        (
            "unit = \"money\"\n[[time_frame]]\ndays = [\"daily\"]\nstart = \"09:00\"\nend = \"12:00\"\n[[time_frame]]\ndays = [\"monday\"]\nstart = \"11:00\"\nend = \"13:00\"\n[[fare_part]]\nstep_minutes = 1\namount = \"1\"\n",
            "overlap",
        ),
        (
            "unit = \"money\"\n[[fare_part]]\nstep_minutes = 1\namount = \"1\"\nto_minute = 60\n",
            "open-ended",
        ),
    ];
    for (text, needle) in cases {
        let err = Tariff::from_toml(text).unwrap_err().to_string();
        assert!(err.contains(needle), "{needle:?} not in {err:?}");
    }
}

/// Flat per-minute tariffs with random non-overlapping daily frames (no caps, no progressive parts).
fn flat_tariff() -> impl Strategy<Value = Tariff> {
    (
        proptest::collection::btree_set(0u32..=1440, 0..6),
        1u32..50,
        any::<bool>(),
    )
        .prop_map(|(cuts, cents, sunday_free)| {
            let cuts: Vec<u32> = cuts.into_iter().collect();
            let frames = cuts
                .chunks_exact(2)
                .filter(|w| w[0] < w[1])
                .map(|w| TimeFrame {
                    days: if sunday_free {
                        vec![Days::Weekday(Weekday::Mon), Days::Weekday(Weekday::Sat)]
                    } else {
                        vec![Days::Daily]
                    },
                    start: w[0],
                    end: w[1],
                    zones: Vec::new(),
                    claim_right: true,
                    max_duration_minutes: None,
                })
                .collect();
            Tariff {
                unit: TariffUnit::Money,
                time_frames: frames,
                fare_parts: vec![FarePart {
                    step_minutes: 1,
                    amount: Decimal::new(i64::from(cents), 2),
                    from_minute: 0,
                    to_minute: None,
                }],
                day_maximum: None,
                free_dates: Vec::new(),
            }
        })
}

/// Whole minutes in 2026, DST change days included.
fn minute_of_2026() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..365 * 24 * 60)
        .prop_map(|m| Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(m))
}

proptest! {
    #[test]
    fn cost_is_never_negative(t in flat_tariff(), a in minute_of_2026(), len in 0i64..5 * 24 * 60) {
        prop_assert!(cost(&t, a, a + Duration::minutes(len)).amount >= Decimal::ZERO);
    }

    #[test]
    fn cost_never_decreases_when_the_end_moves_later(t in flat_tariff(), a in minute_of_2026(), l1 in 0i64..4000, extra in 0i64..4000) {
        let b = a + Duration::minutes(l1);
        prop_assert!(cost(&t, a, b + Duration::minutes(extra)).amount >= cost(&t, a, b).amount);
    }

    #[test]
    fn cost_adds_up_over_a_split(t in flat_tariff(), a in minute_of_2026(), l1 in 0i64..4000, l2 in 0i64..4000) {
        let (b, c) = (a + Duration::minutes(l1), a + Duration::minutes(l1 + l2));
        prop_assert_eq!(cost(&t, a, c).amount, cost(&t, a, b).amount + cost(&t, b, c).amount);
    }

    #[test]
    fn a_session_outside_every_frame_costs_nothing(a in minute_of_2026(), len in 0i64..360) {
        // The demo tariffs charge nothing from 00:00 to 06:00; pick sessions inside that window.
        let date = local_date(Amsterdam, a);
        let night = day_bounds(Amsterdam, date).0;
        let len = len.min((local_instant(Amsterdam, date.and_hms_opt(6, 0, 0).unwrap()) - night).num_minutes());
        for slug in ["dijkstad", "havenmond", "weidevelde"] {
            prop_assert_eq!(cost(&demo(slug), night, night + Duration::minutes(len)).amount, Decimal::ZERO);
        }
    }

    #[test]
    fn steps_round_up_so_longer_never_costs_less_on_demo_tariffs(a in minute_of_2026(), l1 in 0i64..3000, extra in 0i64..600) {
        for slug in ["dijkstad", "havenmond", "weidevelde"] {
            let t = demo(slug);
            let b = a + Duration::minutes(l1);
            prop_assert!(cost(&t, a, b + Duration::minutes(extra)).amount >= cost(&t, a, b).amount);
        }
    }
}

/// Any tariff: random frames per weekday, one to three fare parts (progressive), steps of 1 to 60
/// minutes, an optional day maximum.
fn any_tariff() -> impl Strategy<Value = Tariff> {
    (
        proptest::collection::btree_set(0u32..=1440, 0..8),
        proptest::collection::vec((1u32..60, 0i64..500), 1..4),
        proptest::option::of(100i64..5000),
        0usize..7,
    )
        .prop_map(|(cuts, parts, day_max, weekday)| {
            let cuts: Vec<u32> = cuts.into_iter().collect();
            let day = [
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
                Weekday::Sat,
                Weekday::Sun,
            ][weekday];
            let time_frames = cuts
                .chunks_exact(2)
                .enumerate()
                .map(|(i, w)| TimeFrame {
                    days: if i % 2 == 0 {
                        vec![Days::Daily]
                    } else {
                        vec![Days::Weekday(day)]
                    },
                    start: w[0],
                    end: w[1],
                    zones: Vec::new(),
                    claim_right: true,
                    max_duration_minutes: None,
                })
                .collect::<Vec<_>>();
            let n = parts.len();
            let fare_parts = parts
                .iter()
                .enumerate()
                .map(|(i, (step, cents))| FarePart {
                    step_minutes: *step,
                    amount: Decimal::new(*cents, 2),
                    from_minute: u32::try_from(i).unwrap() * 90,
                    to_minute: if i + 1 < n {
                        Some(u32::try_from(i + 1).unwrap() * 90)
                    } else {
                        None
                    },
                })
                .collect();
            Tariff {
                unit: TariffUnit::Money,
                time_frames,
                fare_parts,
                day_maximum: day_max.map(|c| Decimal::new(c, 2)),
                free_dates: Vec::new(),
            }
        })
        .prop_filter("frames of one day must not overlap", |t| t.check().is_ok())
}

/// Any second of 2026.
fn second_of_2026() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..365 * 24 * 3600)
        .prop_map(|s| Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(s))
}

proptest! {
    #[test]
    fn any_tariff_is_never_negative_and_never_cheaper_when_longer(t in any_tariff(), a in second_of_2026(), l1 in 0i64..300_000, extra in 0i64..100_000) {
        let b = a + Duration::seconds(l1);
        let short = cost(&t, a, b).amount;
        prop_assert!(short >= Decimal::ZERO);
        prop_assert!(cost(&t, a, b + Duration::seconds(extra)).amount >= short);
    }

    #[test]
    fn any_tariff_charges_nothing_outside_its_frames(t in any_tariff(), a in second_of_2026(), len in 0i64..300_000) {
        let c = cost(&t, a, a + Duration::seconds(len));
        for day in &c.days {
            if day.windows.is_empty() {
                prop_assert_eq!(day.amount, Decimal::ZERO);
            }
        }
        let paid: i64 = c.days.iter().map(|d| d.paid_seconds).sum();
        prop_assert!(paid <= len, "paid {} of {} seconds", paid, len);
        if let Some(max) = t.day_maximum {
            prop_assert!(c.days.iter().all(|d| d.amount <= max));
        }
    }
}

#[test]
fn the_forms_model_writes_a_file_that_parses_to_the_same_tariff() {
    for slug in ["dijkstad", "havenmond", "weidevelde"] {
        let tariff = demo(slug);
        let again = Tariff::from_toml(&tariff.to_model().to_toml()).unwrap();
        assert_eq!(again, tariff, "{slug}");
    }
    // Everything a file may hold survives the form.
    let full = Tariff::from_toml(
        "unit = \"money\"\nday_maximum = \"12.00\"\nfree_dates = [\"2026-12-25\"]\n\
         [[time_frame]]\ndays = [\"daily\", \"2026-12-24\"]\nstart = \"09:00\"\nend = \"24:00\"\n\
         zones = [\"binnenstad\"]\nclaim_right = false\nmax_duration_minutes = 180\n\
         [[fare_part]]\nstep_minutes = 1\namount = \"0.02\"\nto_minute = 120\n\
         [[fare_part]]\nstep_minutes = 60\namount = \"3\"\nfrom_minute = 120\n",
    )
    .unwrap();
    assert_eq!(Tariff::from_toml(&full.to_model().to_toml()).unwrap(), full);
}
