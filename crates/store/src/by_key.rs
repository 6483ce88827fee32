//! Reading the one row a unique key finds, without `LIMIT`.
//!
//! sea-orm's `Select::one` adds `LIMIT ?` with the 1 bound as a parameter. SQLite (since 3.47)
//! lets a bound LIMIT take part in planning, so it prepares such a statement again every time
//! it runs: measured, that re-preparing cost more than the lookups themselves. A unique key
//! finds at most one row anyway, so these lookups read "all" of it instead.

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Select};
use std::future::Future;

/// [`Select::one`] for a query on a unique key (a primary key, a unique column or a unique
/// combination), which finds one row at most.
pub(crate) trait OneByKey<E: EntityTrait> {
    /// The row the key finds, if any.
    fn one_by_key<'a, C: ConnectionTrait>(
        self,
        conn: &'a C,
    ) -> impl Future<Output = Result<Option<E::Model>, DbErr>> + Send + 'a
    where
        Self: 'a;
}

impl<E: EntityTrait> OneByKey<E> for Select<E>
where
    E::Model: Send + Sync,
{
    async fn one_by_key<'a, C: ConnectionTrait>(
        self,
        conn: &'a C,
    ) -> Result<Option<E::Model>, DbErr>
    where
        Self: 'a,
    {
        Ok(self.all(conn).await?.into_iter().next())
    }
}
