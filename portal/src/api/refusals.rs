//! The declared refusals of the resident API's operations: the kit's (`parkportal_web::refusals`),
//! shared with the admin API, under the names the operations use.

pub(crate) use parkportal_web::declare_refusals as declare;
pub(crate) use parkportal_web::refusals::Failure;
