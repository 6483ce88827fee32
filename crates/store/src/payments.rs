//! Top-up payments, and the built-in simulated iDEAL provider whose payments live in the
//! database too (so every instance, and a restart, sees the same checkout).

use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::{payments, simulated_payments};
use crate::ledger::post;
use crate::parking::ledger::abandon;
use crate::parking::lock_product_row;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::ledger::LedgerPosting;
use parkportal_domain::top_up::{
    CapWindow, NewPayment, Opened, Payment, PaymentProvider, PaymentRepository, PaymentRequest,
    PaymentStatus, ProviderError, ProviderPayment, ProviderRefund, RefundFailure, RefundRequest,
    Settled, SimulatedCheckout, SimulatedPayment,
};
use parkportal_domain::{AccountId, Clock, PaymentId, ProductId, PublicUrl, StoreError, Token};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};
use std::sync::Arc;

/// Payments in the database.
#[derive(Clone, Debug)]
pub struct SeaPaymentRepository {
    db: Database,
}

impl SeaPaymentRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn to_payment(row: payments::Model) -> Result<Payment, StoreError> {
    Ok(Payment {
        id: PaymentId(row.id),
        product: ProductId(row.product_id),
        account: row.account_id.map(AccountId),
        amount: row.amount,
        price_cents: row.price_cents,
        status: PaymentStatus::parse(&row.status)
            .ok_or_else(|| StoreError::new(format!("stored payment status {:?}", row.status)))?,
        provider_ref: row.provider_ref,
        checkout_url: row.checkout_url,
        created_at: row.created_at,
        expires_at: row.expires_at,
    })
}

/// The payments of `product` since `since` that count against the cap at `now`.
async fn counted<C: ConnectionTrait>(
    conn: &C,
    product: ProductId,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    counted_of(conn, product, since, now, &["paid", "pending"]).await
}

/// What counts against the cap since `since` among payments that are `settled` (as stored) or
/// open and still payable.
async fn counted_of<C: ConnectionTrait>(
    conn: &C,
    product: ProductId,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    settled: &[&str],
) -> Result<i64, StoreError> {
    use payments::Column as C;
    // An open payment the provider has counts until the provider calls it final (expiry asks
    // it): the payer may still pay it. One the provider never took counts until its time.
    let counts = Condition::any()
        .add(C::Status.is_in(settled.iter().copied()))
        .add(
            Condition::all().add(C::Status.eq("open")).add(
                Condition::any()
                    .add(C::ProviderRef.is_not_null())
                    .add(C::ExpiresAt.gt(now)),
            ),
        );
    let totals: Vec<Option<i64>> = payments::Entity::find()
        .select_only()
        // A sum is numeric on PostgreSQL: cast back to a bigint both read as i64.
        .expr(Expr::cust("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"))
        .filter(C::ProductId.eq(product.0))
        .filter(C::CreatedAt.gte(since))
        .filter(counts)
        .into_tuple()
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    Ok(totals.into_iter().next().flatten().unwrap_or(0))
}

#[async_trait]
impl PaymentRepository for SeaPaymentRepository {
    async fn counted_since(
        &self,
        product: ProductId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        counted(self.db.connection(), product, since, now).await
    }

    async fn unfinished_since(
        &self,
        product: ProductId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        counted_of(self.db.connection(), product, since, now, &["pending"]).await
    }

    async fn open(
        &self,
        new: &NewPayment,
        cap: Option<CapWindow>,
        now: DateTime<Utc>,
    ) -> Result<Opened, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let owned = lock_product_row(&self.db, &txn, new.product)
            .await?
            .filter(|p| p.owner_id == Some(new.account.0) && p.status == "active");
        if owned.is_none() {
            abandon(txn).await?;
            return Ok(Opened::NotFound);
        }
        // Counted again under the lock: two checkouts at once cannot both take the last room.
        if let Some(cap) = cap
            && counted(&txn, new.product, cap.since, now).await? + new.amount > cap.limit
        {
            abandon(txn).await?;
            return Ok(Opened::CapReached);
        }
        let row = payments::ActiveModel {
            product_id: Set(new.product.0),
            account_id: Set(Some(new.account.0)),
            amount: Set(new.amount),
            price_cents: Set(new.price_cents),
            status: Set(PaymentStatus::Open.as_str().to_owned()),
            provider: Set(new.provider.to_owned()),
            provider_ref: Set(None),
            checkout_url: Set(None),
            created_at: Set(now),
            expires_at: Set(new.expires_at),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(StoreError::new)?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(Opened::Opened(to_payment(row)?))
    }

    async fn attach(
        &self,
        payment: PaymentId,
        created: &ProviderPayment,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        use payments::Column as C;
        let (_gate, txn) = self.db.begin_write().await?;
        payments::Entity::update_many()
            .col_expr(C::ProviderRef, Expr::value(created.id.clone()))
            .col_expr(C::CheckoutUrl, Expr::value(created.checkout_url.clone()))
            .col_expr(C::UpdatedAt, Expr::value(now))
            .filter(C::Id.eq(payment.0))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        txn.commit().await.map_err(StoreError::new)
    }

    async fn abandon(&self, payment: PaymentId, now: DateTime<Utc>) -> Result<(), StoreError> {
        use payments::Column as C;
        let (_gate, txn) = self.db.begin_write().await?;
        payments::Entity::update_many()
            .col_expr(C::Status, Expr::value(PaymentStatus::Failed.as_str()))
            .col_expr(C::UpdatedAt, Expr::value(now))
            .filter(C::Id.eq(payment.0))
            .filter(C::Status.eq(PaymentStatus::Open.as_str()))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        txn.commit().await.map_err(StoreError::new)
    }

    async fn payment(&self, payment: PaymentId) -> Result<Option<Payment>, StoreError> {
        payments::Entity::find_by_id(payment.0)
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .map(to_payment)
            .transpose()
    }

    async fn by_reference(&self, reference: &str) -> Result<Option<Payment>, StoreError> {
        payments::Entity::find()
            .filter(payments::Column::ProviderRef.eq(reference))
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .map(to_payment)
            .transpose()
    }

    async fn settle(
        &self,
        payment: PaymentId,
        status: PaymentStatus,
        now: DateTime<Utc>,
    ) -> Result<Settled, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let Some(row) = payments::Entity::find_by_id(payment.0)
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
        else {
            abandon(txn).await?;
            return Ok(Settled::Unchanged);
        };
        if lock_product_row(&self.db, &txn, ProductId(row.product_id))
            .await?
            .is_none()
        {
            abandon(txn).await?;
            return Ok(Settled::Unchanged);
        }
        // Read again under the product's lock: a webhook and the payer's return may race.
        let current = payments::Entity::find_by_id(payment.0)
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
            .map(to_payment)
            .transpose()?
            .ok_or_else(|| StoreError::new("payment vanished under its product's lock"))?;
        // Paid never changes again; a final status changes only to paid (the bank's money
        // came after all); a stale report never takes a payment back to open or pending.
        let moves = current.status != status
            && current.status != PaymentStatus::Paid
            && (!current.status.is_final() || status == PaymentStatus::Paid);
        if !moves {
            abandon(txn).await?;
            return Ok(Settled::Unchanged);
        }
        let mut settled = Settled::Changed;
        if status == PaymentStatus::Paid {
            let reference = current
                .provider_ref
                .clone()
                .ok_or_else(|| StoreError::new("a paid payment without provider id"))?;
            // The provider's id is unique in the ledger: a second credit is a no-op.
            let top_up = LedgerPosting::top_up(current.product, current.amount, reference);
            if post(&txn, &top_up, now).await? {
                settled = Settled::Credited;
            }
        }
        payments::Entity::update_many()
            .col_expr(payments::Column::Status, Expr::value(status.as_str()))
            .col_expr(payments::Column::UpdatedAt, Expr::value(now))
            .filter(payments::Column::Id.eq(payment.0))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(settled)
    }

    async fn overdue(
        &self,
        product: Option<ProductId>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Payment>, StoreError> {
        use payments::Column as C;
        let mut query = payments::Entity::find()
            .filter(C::Status.eq(PaymentStatus::Open.as_str()))
            .filter(C::ExpiresAt.lte(now));
        if let Some(product) = product {
            query = query.filter(C::ProductId.eq(product.0));
        }
        query
            .all(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .into_iter()
            .map(to_payment)
            .collect()
    }

    async fn expire(&self, payment: PaymentId, now: DateTime<Utc>) -> Result<(), StoreError> {
        use payments::Column as C;
        let (_gate, txn) = self.db.begin_write().await?;
        payments::Entity::update_many()
            .col_expr(C::Status, Expr::value(PaymentStatus::Expired.as_str()))
            .col_expr(C::UpdatedAt, Expr::value(now))
            .filter(C::Id.eq(payment.0))
            .filter(C::Status.eq(PaymentStatus::Open.as_str()))
            .filter(C::ProviderRef.is_null())
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        txn.commit().await.map_err(StoreError::new)
    }
}

/// The built-in simulated iDEAL provider: payments are rows of `simulated_payments`, its
/// checkout is a page of the portal where the payer picks paid, cancelled, failed or expired.
#[derive(Clone)]
pub struct SimulatedProvider {
    db: Database,
    public_url: PublicUrl,
    clock: Arc<dyn Clock>,
    expiry: chrono::Duration,
}

impl SimulatedProvider {
    /// On `db`, with its checkout page under `public_url`; like iDEAL, a checkout not finished
    /// within `expiry` expires.
    pub fn new(
        db: Database,
        public_url: PublicUrl,
        clock: Arc<dyn Clock>,
        expiry: chrono::Duration,
    ) -> Self {
        Self {
            db,
            public_url,
            clock,
            expiry,
        }
    }

    /// The row's status now: open past its time is expired.
    fn status_now(&self, row: &simulated_payments::Model) -> Option<PaymentStatus> {
        let status = PaymentStatus::parse(&row.status)?;
        Some(
            if status == PaymentStatus::Open && self.clock.now() >= row.created_at + self.expiry {
                PaymentStatus::Expired
            } else {
                status
            },
        )
    }

    fn reported(&self, row: &simulated_payments::Model) -> Result<ProviderPayment, ProviderError> {
        let status = self
            .status_now(row)
            .ok_or_else(|| ProviderError(format!("stored status {:?}", row.status)))?;
        Ok(ProviderPayment {
            id: row.id.clone(),
            status,
            price: row
                .price
                .parse()
                .map_err(|_| ProviderError(format!("stored price {:?}", row.price)))?,
            checkout_url: (status == PaymentStatus::Open).then(|| {
                self.public_url
                    .join(&format!("/betalen/simulatie/{}", row.id))
            }),
        })
    }

    fn shown(&self, row: simulated_payments::Model) -> Result<SimulatedPayment, StoreError> {
        Ok(SimulatedPayment {
            status: self
                .status_now(&row)
                .ok_or_else(|| StoreError::new(format!("stored status {:?}", row.status)))?,
            price: row
                .price
                .parse()
                .map_err(|_| StoreError::new(format!("stored price {:?}", row.price)))?,
            id: row.id,
            description: row.description,
            redirect_url: row.redirect_url,
        })
    }

    async fn row(&self, id: &str) -> Result<Option<simulated_payments::Model>, StoreError> {
        simulated_payments::Entity::find_by_id(id.to_owned())
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)
    }
}

/// `scheme://host[:port]` of an absolute URL.
pub fn origin_of(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split('/').next().unwrap_or_default();
            format!("{scheme}://{host}")
        }
        None => url.to_owned(),
    }
}

fn provider_error(e: impl std::fmt::Display) -> ProviderError {
    ProviderError(e.to_string())
}

#[async_trait]
impl PaymentProvider for SimulatedProvider {
    fn simulated(&self) -> bool {
        true
    }

    fn checkout_origins(&self) -> Vec<String> {
        vec![origin_of(self.public_url.as_str())]
    }

    async fn create(&self, request: &PaymentRequest) -> Result<ProviderPayment, ProviderError> {
        let token = Token::generate().map_err(provider_error)?;
        let suffix: String = token
            .expose()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(20)
            .collect();
        let row = simulated_payments::ActiveModel {
            id: Set(format!("sim_{suffix}")),
            price: Set(format!("{:.2}", request.price)),
            description: Set(request.description.clone()),
            redirect_url: Set(request.redirect_url.clone()),
            status: Set(PaymentStatus::Open.as_str().to_owned()),
            idempotency_key: Set(request.idempotency_key.clone()),
            created_at: Set(self.clock.now()),
        };
        // Like Mollie's Idempotency-Key: asking twice gives the payment created the first time.
        simulated_payments::Entity::insert(row)
            .on_conflict_do_nothing_on([simulated_payments::Column::IdempotencyKey])
            .exec(self.db.connection())
            .await
            .map_err(provider_error)?;
        let row = simulated_payments::Entity::find()
            .filter(simulated_payments::Column::IdempotencyKey.eq(request.idempotency_key.as_str()))
            .one_by_key(self.db.connection())
            .await
            .map_err(provider_error)?
            .ok_or_else(|| ProviderError("simulated payment vanished".into()))?;
        self.reported(&row)
    }

    async fn fetch(&self, id: &str) -> Result<ProviderPayment, ProviderError> {
        let row = self
            .row(id)
            .await
            .map_err(provider_error)?
            .ok_or_else(|| ProviderError(format!("no simulated payment {id}")))?;
        self.reported(&row)
    }

    /// Refunded at once, as the simulation has no bank: a paid payment of at least the
    /// amount; the refund's id follows from the idempotency key, so asking twice is one refund.
    async fn refund(&self, request: &RefundRequest) -> Result<ProviderRefund, RefundFailure> {
        let row = self
            .row(&request.payment_ref)
            .await
            .map_err(|e| RefundFailure::Unsure(e.to_string()))?
            .ok_or_else(|| RefundFailure::Refused("no such simulated payment".into()))?;
        let price = row
            .price
            .parse()
            .map_err(|_| RefundFailure::Unsure(format!("stored price {:?}", row.price)))?;
        if self.status_now(&row) != Some(PaymentStatus::Paid) {
            return Err(RefundFailure::Refused("the payment is not paid".into()));
        }
        if request.price.is_zero() || request.price.is_sign_negative() || request.price > price {
            return Err(RefundFailure::Refused(
                "the amount is more than the payment".into(),
            ));
        }
        let key: String = request
            .idempotency_key
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        Ok(ProviderRefund {
            id: format!("sim_re_{key}"),
            status: "refunded".to_owned(),
        })
    }
}

#[async_trait]
impl SimulatedCheckout for SimulatedProvider {
    async fn checkout(&self, id: &str) -> Result<Option<SimulatedPayment>, StoreError> {
        self.row(id).await?.map(|r| self.shown(r)).transpose()
    }

    async fn choose(
        &self,
        id: &str,
        outcome: PaymentStatus,
    ) -> Result<Option<SimulatedPayment>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let Some(row) = simulated_payments::Entity::find_by_id(id.to_owned())
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
        else {
            abandon(txn).await?;
            return Ok(None);
        };
        // Only while open and not past its time.
        if self.status_now(&row) == Some(PaymentStatus::Open) {
            simulated_payments::Entity::update_many()
                .col_expr(
                    simulated_payments::Column::Status,
                    Expr::value(outcome.as_str()),
                )
                .filter(simulated_payments::Column::Id.eq(id))
                .filter(simulated_payments::Column::Status.eq(PaymentStatus::Open.as_str()))
                .exec(&txn)
                .await
                .map_err(StoreError::new)?;
        }
        txn.commit().await.map_err(StoreError::new)?;
        self.checkout(id).await
    }
}
