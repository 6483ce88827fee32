//! sea-orm entities: one module per table, mirroring the migrations.

pub mod product_types;
pub mod rule_errors;
pub mod tenant_hosts;
pub mod tenants;
pub mod zones;
