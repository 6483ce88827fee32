//! The products and open applications an application relates to: the counts its rule decides
//! on and the duplicates its page warns about.

use super::rows::*;
use crate::database::Database;
use crate::entities::{applications, product_plates, products};
use chrono::{DateTime, Utc};
use parkportal_domain::letters::Recipient;
use parkportal_domain::loket::decisions::Related;
use parkportal_domain::loket::rule::house_number_key;
use parkportal_domain::plate::Plate;
use parkportal_domain::tenant::Code;
use parkportal_domain::{ApplicationId, StoreError, TenantId};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use std::collections::HashMap;

/// The active products of `product_type` of `tenant` at the address of `applicant` or holding
/// one of `plates`, and the open applications for either (`except` left out), in one snapshot.
pub(super) async fn related(
    db: &Database,
    tenant: TenantId,
    product_type: &Code,
    applicant: &Recipient,
    plates: &[Plate],
    except: Option<ApplicationId>,
    now: DateTime<Utc>,
) -> Result<Related, StoreError> {
    // One snapshot: the counts a rule decides on belong together.
    let txn = db.connection().begin().await.map_err(StoreError::new)?;
    let Some(pt) = type_of(&txn, tenant, product_type.as_str()).await? else {
        return Ok(Related::default());
    };
    let house = house_number_key(&applicant.house_number);
    let active = Condition::all()
        .add(products::Column::TenantId.eq(tenant.0))
        .add(products::Column::ProductTypeId.eq(pt.id))
        .add(products::Column::Status.eq("active"))
        .add(products::Column::ValidUntil.gt(now));
    let mut related = Related::default();
    let at_postcode = products::Entity::find()
        .filter(active.clone())
        .filter(products::Column::HolderPostcode.eq(applicant.postcode.as_str()))
        .order_by_asc(products::Column::Id)
        .all(&txn)
        .await
        .map_err(StoreError::new)?;
    related.products_at_address = at_postcode
        .into_iter()
        .filter(|p| {
            p.holder_house_number
                .as_deref()
                .is_some_and(|h| house_number_key(h) == house)
        })
        .map(|p| p.code)
        .collect();
    if !plates.is_empty() {
        // Scoped to the gemeente's active products of the type in the query itself.
        let of_type = sea_orm::sea_query::Query::select()
            .column(products::Column::Id)
            .from(products::Entity)
            .cond_where(active.clone())
            .to_owned();
        let holding = product_plates::Entity::find()
            .filter(product_plates::Column::ProductId.in_subquery(of_type))
            .filter(
                product_plates::Column::Plate
                    .is_in(plates.iter().map(|p| p.normalised().to_owned())),
            )
            .order_by_asc(product_plates::Column::ProductId)
            .all(&txn)
            .await
            .map_err(StoreError::new)?;
        let codes: HashMap<i64, String> = products::Entity::find()
            .filter(active)
            .filter(products::Column::Id.is_in(holding.iter().map(|h| h.product_id)))
            .all(&txn)
            .await
            .map_err(StoreError::new)?
            .into_iter()
            .map(|p| (p.id, p.code))
            .collect();
        for held in holding {
            let (Some(code), Some(plate)) = (
                codes.get(&held.product_id),
                plates
                    .iter()
                    .find(|p| p.normalised() == held.plate && p.country().as_str() == held.country),
            ) else {
                continue;
            };
            related
                .products_for_plates
                .push((code.clone(), plate.clone()));
        }
    }
    // The open applications of the type are the queue: few enough to compare here.
    let open = applications::Entity::find()
        .filter(applications::Column::TenantId.eq(tenant.0))
        .filter(applications::Column::ProductTypeId.eq(pt.id))
        .filter(applications::Column::Status.is_in(OPEN))
        .filter(applications::Column::Id.ne(except.map_or(0, |e| e.0)))
        .order_by_asc(applications::Column::Id)
        .all(&txn)
        .await
        .map_err(StoreError::new)?;
    txn.commit().await.map_err(StoreError::new)?;
    for other in open {
        if other.postcode == applicant.postcode.as_str()
            && house_number_key(&other.house_number) == house
        {
            related
                .applications_at_address
                .push(other.reference.clone());
        }
        for plate in plates_of(other.plates.as_deref())? {
            if plates.contains(&plate) {
                related
                    .applications_for_plates
                    .push((other.reference.clone(), plate));
            }
        }
    }
    Ok(related)
}
