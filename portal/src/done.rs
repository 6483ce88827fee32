//! What a resident's form did, said on the page that follows it ([`parkportal_web::flash`]): a
//! start names plate, times and cost; a stop or delete the amount that came back; a save what
//! was saved. Texts under `done.` in the catalogues.

use crate::page::PageContext;
use parkportal_domain::BalanceUnit;
use parkportal_domain::parking::{ParkingSession, ProductView};
use parkportal_web::dates::span;
use parkportal_web::flash::{Flash, FlashKind};
use parkportal_web::format::amount;
use poem::Response;

/// What happened to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionDone {
    /// Started now as asked.
    Started,
    /// Asked for a moment that had passed by the confirmation: started now instead.
    StartedNow,
    /// Planned for later.
    Planned,
    /// Given a later end.
    Extended,
}

impl PageContext {
    /// A redirect to `to` whose page says `flash`.
    pub(crate) fn see_other_saying(&self, to: &str, flash: &Flash) -> Response {
        let mut resp = self.see_other(to);
        flash.attach(&mut resp, self.state.settings().secure_cookies());
        resp
    }

    /// A success message titled by `key` (with `args`), without details.
    pub(crate) fn done(&self, key: &str, args: &[(&str, String)]) -> Flash {
        Flash::ok(self.text(key, args), None)
    }

    /// "12-ABC-3 vandaag van 10:00 tot 12:00." for `session` of `product`, ending at `end`.
    fn session_line(
        &self,
        session: &ParkingSession,
        product: &ProductView,
        end: chrono::DateTime<chrono::Utc>,
    ) -> String {
        let now = self.state.parking().now();
        let when = span(
            session.start,
            end,
            now,
            product.time_zone,
            self.prefs.language,
        );
        self.text(
            "done.session",
            &[("plate", session.plate.display()), ("when", when)],
        )
    }

    /// `smallest` units of `product`'s balance as read, or `None` for a product without one.
    fn balance_text(&self, product: &ProductView, smallest: i64) -> Option<String> {
        (product.unit != BalanceUnit::None).then(|| {
            amount(
                product.unit,
                product.unit.from_smallest(smallest),
                self.prefs.language,
            )
        })
    }

    /// The message after `session` of `product` was started, planned or extended: plate,
    /// times and what it costs (after an extension: in all, and what the extension added to
    /// what it held before, `held`).
    pub(crate) fn session_done(
        &self,
        done: SessionDone,
        session: &ParkingSession,
        product: &ProductView,
        held: i64,
    ) -> Flash {
        let title = match done {
            SessionDone::Started | SessionDone::StartedNow => "done.started",
            SessionDone::Planned => "done.planned",
            SessionDone::Extended => "done.extended",
        };
        let mut detail = vec![self.session_line(session, product, session.end)];
        if let Some(cost) = self.balance_text(product, session.reserved) {
            match self.balance_text(product, session.reserved - held) {
                Some(added) if done == SessionDone::Extended => detail
                    .push(self.text("done.extension_cost", &[("cost", cost), ("added", added)])),
                _ => detail.push(self.text("done.cost", &[("cost", cost)])),
            }
        }
        let mut kind = FlashKind::Ok;
        if done == SessionDone::StartedNow {
            detail.push(self.text("done.started_now", &[]));
            kind = FlashKind::Info;
        }
        Flash {
            kind,
            title: self.text(title, &[]),
            detail: Some(detail.join(" ")),
        }
    }

    /// The message after [Stop] or [Verwijder]: `before` as the page read it, `after` as the
    /// change left it; names what came back to the balance. A planned session is deleted; one
    /// stopped at the instant it began is deleted too, but to the resident it stopped (having
    /// run for no time at all).
    pub(crate) fn session_ended(
        &self,
        before: &ParkingSession,
        after: &ParkingSession,
        product: &ProductView,
    ) -> Flash {
        let now = self.state.parking().now();
        let (title, end) = match after.deleted_at {
            Some(_) if after.start > now => ("done.deleted", after.end),
            Some(_) => ("done.stopped", after.start),
            None => ("done.stopped", after.end),
        };
        let mut detail = vec![self.session_line(before, product, end)];
        let back = before.reserved - after.reserved;
        if let Some(refund) = self.balance_text(product, back).filter(|_| back > 0) {
            detail.push(self.text("done.refund", &[("amount", refund)]));
        }
        Flash::ok(self.text(title, &[]), Some(detail.join(" ")))
    }
}
