//! "De kentekenswitch": a permit for several plates has one active plate at a time, the one
//! enforcement accepts. While none is active the resident risks a fine.

use super::model::ProductView;
use super::use_cases::{Parking, ParkingError};
use crate::accounts::Account;
use crate::ids::ProductId;
use crate::plate::Plate;
use crate::product_type::ProductKind;

/// Whether a product of `kind` with `plates` plates has a plate switch: a permit with more
/// than one plate.
pub fn switches_plates(kind: ProductKind, plates: usize) -> bool {
    kind == ProductKind::Permit && plates > 1
}

/// Whether a product has a plate switch (see [`switches_plates`]).
pub fn has_plate_switch(product: &ProductView) -> bool {
    switches_plates(product.kind, product.plates.len())
}

/// Whether the resident must still choose a plate: a plate switch without an active plate.
pub fn needs_active_plate(product: &ProductView) -> bool {
    has_plate_switch(product) && product.active_plate.is_none()
}

/// The outcome of [Selecteer].
#[derive(Debug, Clone)]
pub enum SwitchOutcome {
    /// The plate is active now; the product as it is now.
    Switched(Box<ProductView>),
    /// The product is not a permit for several plates.
    NoSwitch,
    /// The plate is not one of the permit's.
    NotOnPermit,
    /// Not the resident's product.
    NotFound,
}

impl Parking {
    /// Makes `plate` the active plate of the resident's permit `product`.
    pub async fn switch_plate(
        &self,
        account: &Account,
        product: ProductId,
        plate: &Plate,
    ) -> Result<SwitchOutcome, ParkingError> {
        let Some(view) = self.repo.product_of(account.id, product).await? else {
            return Ok(SwitchOutcome::NotFound);
        };
        if !has_plate_switch(&view) {
            return Ok(SwitchOutcome::NoSwitch);
        }
        if !view.plates.contains(plate) || !self.repo.set_active_plate(product, plate).await? {
            return Ok(SwitchOutcome::NotOnPermit);
        }
        Ok(match self.repo.product_of(account.id, product).await? {
            Some(now) => SwitchOutcome::Switched(Box::new(now)),
            None => SwitchOutcome::NotFound,
        })
    }
}
