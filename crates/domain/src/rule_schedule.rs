//! When versions of a rule script or tariff take effect (#23). Each version takes effect from a
//! moment (none: since always, for versions stored before scheduling existed); at any moment the
//! version in force is the one whose moment came last, and of versions for the same moment the
//! newest. So a version scheduled for 1 January takes over then, even from a version saved
//! later for at once; and a new version for the same moment replaces a pending one.

use chrono::{DateTime, Utc};

/// The moment a version takes effect (`None`: since always).
pub type EffectiveFrom = Option<DateTime<Utc>>;

/// The order in which versions take over: by their moment, then by their number.
pub type TakeOver = (EffectiveFrom, i64);

/// Of `versions`, the one in force `at`: of those whose moment is not after `at`, the last to
/// take over. `None` when none has taken effect yet.
pub fn in_force_at<T>(
    versions: &[T],
    at: DateTime<Utc>,
    key: impl Fn(&T) -> TakeOver,
) -> Option<&T> {
    versions
        .iter()
        .filter(|v| key(v).0.is_none_or(|from| from <= at))
        .max_by_key(|v| key(v))
}

/// How far ahead a version may be scheduled: rules are not written for another age.
pub const MAX_YEARS_AHEAD: i64 = 10;

/// Whether a version saved `at` may take effect `from`: in the future, and not further than
/// [`MAX_YEARS_AHEAD`].
pub fn schedulable(at: DateTime<Utc>, from: DateTime<Utc>) -> bool {
    from > at && from - at <= chrono::Duration::days(366 * MAX_YEARS_AHEAD)
}

/// The moment a version saved `at` for at once takes effect among `existing` versions: `at`,
/// or later when a version saved for at once was given a later moment (another instance's
/// clock ahead of this one), so that of two versions for at once the one stored last holds.
/// A version was saved for at once when it took effect when it was made.
pub fn at_once(
    at: DateTime<Utc>,
    existing: impl IntoIterator<Item = (EffectiveFrom, Option<DateTime<Utc>>)>,
) -> DateTime<Utc> {
    existing
        .into_iter()
        .filter_map(|(from, made)| from.filter(|f| Some(*f) == made))
        .fold(at, DateTime::max)
}

/// Where a version stands `now`, as the rules console lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// In force now.
    InForce,
    /// The next to take over.
    Next,
    /// Takes over later, after the next.
    Later,
    /// Was in force and is no longer.
    Earlier,
    /// Never in force: a newer version for the same moment replaced it.
    Replaced,
}

impl Standing {
    /// The name templates and the API use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InForce => "in_force",
            Self::Next => "next",
            Self::Later => "later",
            Self::Earlier => "earlier",
            Self::Replaced => "replaced",
        }
    }
}

/// The standing `now` of each of `versions` (by moment and number), in their order.
pub fn standings(versions: &[TakeOver], now: DateTime<Utc>) -> Vec<Standing> {
    let current = in_force_at(versions, now, |v| *v).copied();
    // The first pending moment, and the version taking over at it.
    let next = versions
        .iter()
        .filter(|(from, _)| from.is_some_and(|f| f > now))
        .filter(|v| !replaced(versions, v))
        .min_by_key(|(from, _)| *from)
        .copied();
    versions
        .iter()
        .map(|v| {
            if Some(*v) == current {
                Standing::InForce
            } else if replaced(versions, v) {
                Standing::Replaced
            } else if Some(*v) == next {
                Standing::Next
            } else if v.0.is_some_and(|f| f > now) {
                Standing::Later
            } else {
                Standing::Earlier
            }
        })
        .collect()
}

/// Whether a newer version takes effect at the same moment as `v` (versions since always replace
/// nothing: each was in force in its day).
fn replaced(versions: &[TakeOver], v: &TakeOver) -> bool {
    v.0.is_some() && versions.iter().any(|w| w.0 == v.0 && w.1 > v.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, 12, 0, 0).unwrap()
    }

    #[test]
    fn the_last_moment_to_come_wins_and_a_scheduled_version_takes_over_on_its_day() {
        // 1 since always, 2 saved on the 3rd, 3 scheduled for the 20th, 4 saved on the 10th.
        let versions = [
            (None, 1),
            (Some(at(3)), 2),
            (Some(at(20)), 3),
            (Some(at(10)), 4),
        ];
        let pick = |t| in_force_at(&versions, t, |v| *v).map(|v| v.1);
        assert_eq!(pick(at(1)), Some(1));
        assert_eq!(pick(at(3)), Some(2));
        assert_eq!(pick(at(12)), Some(4));
        assert_eq!(pick(at(20)), Some(3));
        assert_eq!(pick(at(25)), Some(3));
        let none: [TakeOver; 1] = [(Some(at(5)), 1)];
        assert_eq!(in_force_at(&none, at(4), |v| *v), None);
    }

    #[test]
    fn a_version_for_at_once_never_takes_effect_before_one_stored_before_it() {
        // Another instance, its clock a minute ahead, stored one for at once at 12:01.
        let ahead = Some(at(2) + chrono::Duration::minutes(1));
        let scheduled = Some(at(20));
        assert_eq!(
            at_once(at(2), [(ahead, ahead), (scheduled, Some(at(1)))]),
            at(2) + chrono::Duration::minutes(1)
        );
        assert_eq!(at_once(at(2), [(None, None)]), at(2));
        assert!(schedulable(at(2), at(3)));
        assert!(!schedulable(at(2), at(2)));
        assert!(!schedulable(
            at(2),
            at(2) + chrono::Duration::days(366 * 11)
        ));
    }

    #[test]
    fn standings_name_now_next_later_earlier_and_replaced() {
        let versions = [
            (None, 1),
            (Some(at(3)), 2),
            (Some(at(20)), 3),
            (Some(at(20)), 4),
            (Some(at(25)), 5),
        ];
        assert_eq!(
            standings(&versions, at(10)),
            [
                Standing::Earlier,
                Standing::InForce,
                Standing::Replaced,
                Standing::Next,
                Standing::Later
            ]
        );
        // Two imports from before scheduling: both were in force once.
        let old = [(None, 1), (None, 2)];
        assert_eq!(
            standings(&old, at(10)),
            [Standing::Earlier, Standing::InForce]
        );
    }
}
