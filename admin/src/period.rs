//! A period of whole local days as the console's filter forms ask it: `van` and `tot` (both
//! inclusive, `yyyy-mm-dd`, either may be empty). The audit log and the rule errors read it
//! alike; each names its own messages.

use chrono::NaiveDate;

/// A filter field that did not parse: the field and the catalogue key of its message.
pub type Problem = (&'static str, &'static str);

/// The catalogue keys of a form's two period messages.
pub struct PeriodMessages {
    /// A date that is not `yyyy-mm-dd`.
    pub bad_date: &'static str,
    /// An end before the start.
    pub bad_period: &'static str,
}

/// The days `van` to `tot` typed, or the first field that does not parse.
pub fn days(
    van: &str,
    tot: &str,
    messages: &PeriodMessages,
) -> Result<(Option<NaiveDate>, Option<NaiveDate>), Problem> {
    let date = |field: &'static str, value: &str| match value.trim() {
        "" => Ok(None),
        v => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| (field, messages.bad_date)),
    };
    let from = date("van", van)?;
    let to = date("tot", tot)?;
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        return Err(("tot", messages.bad_period));
    }
    Ok((from, to))
}
