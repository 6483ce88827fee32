//! Top-ups ("Opwaarderen"):
//!
//! - `product_types.top_ups`: the options a gemeente sells, as `amount:price` pairs in the
//!   smallest units (`2500:2500,5000:5000`), in the order shown;
//! - `payments`: one row per checkout, with the amount and price fixed when it was created and
//!   the provider's id, unique, so a webhook finds its payment;
//! - `simulated_payments`: the state of the built-in simulated iDEAL provider, kept in the
//!   database so that every instance and a restart see the same payment.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProductTypes {
    Table,
    TopUps,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    ProductId,
    AccountId,
    Amount,
    PriceCents,
    Status,
    Provider,
    ProviderRef,
    CheckoutUrl,
    CreatedAt,
    ExpiresAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SimulatedPayments {
    Table,
    Id,
    Price,
    Description,
    RedirectUrl,
    Status,
    IdempotencyKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

/// Mollie's statuses: open and pending go on, the rest are final.
const STATUSES: [&str; 6] = ["open", "pending", "paid", "canceled", "expired", "failed"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProductTypes::Table)
                    .add_column(text_null(ProductTypes::TopUps))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(big_pk_auto(Payments::Id))
                    .col(big_integer(Payments::ProductId))
                    .col(big_integer(Payments::AccountId))
                    // In the balance's smallest unit, fixed at creation: what a paid payment
                    // credits, whatever the gemeente changes later.
                    .col(big_integer(Payments::Amount))
                    .col(big_integer(Payments::PriceCents))
                    .col(string_len(Payments::Status, 10))
                    .col(string_len(Payments::Provider, 20))
                    .col(string_len_null(Payments::ProviderRef, 100))
                    .col(text_null(Payments::CheckoutUrl))
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .col(timestamp_with_time_zone(Payments::ExpiresAt))
                    .col(timestamp_with_time_zone(Payments::UpdatedAt))
                    .check(Expr::col(Payments::Status).is_in(STATUSES))
                    .check(Expr::col(Payments::Amount).gt(0))
                    .check(Expr::col(Payments::PriceCents).gt(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Payments::Table, Payments::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Payments::Table, Payments::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("payments_provider_ref")
                    .table(Payments::Table)
                    .col(Payments::ProviderRef)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The cap counts a product's payments of the period.
        manager
            .create_index(
                Index::create()
                    .name("payments_product_created")
                    .table(Payments::Table)
                    .col(Payments::ProductId)
                    .col(Payments::CreatedAt)
                    .to_owned(),
            )
            .await?;
        // Expiry by the clock looks for open payments only.
        manager
            .create_index(
                Index::create()
                    .name("payments_status_expires")
                    .table(Payments::Table)
                    .col(Payments::Status)
                    .col(Payments::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SimulatedPayments::Table)
                    .col(string_len(SimulatedPayments::Id, 40).primary_key())
                    .col(string_len(SimulatedPayments::Price, 20))
                    .col(text(SimulatedPayments::Description))
                    .col(text(SimulatedPayments::RedirectUrl))
                    .col(string_len(SimulatedPayments::Status, 10))
                    .col(string_len(SimulatedPayments::IdempotencyKey, 100).unique_key())
                    .col(timestamp_with_time_zone(SimulatedPayments::CreatedAt))
                    .check(Expr::col(SimulatedPayments::Status).is_in(STATUSES))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SimulatedPayments::Table.into_iden(),
            Payments::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ProductTypes::Table)
                    .drop_column(ProductTypes::TopUps)
                    .to_owned(),
            )
            .await
    }
}
