//! Request and response bodies of the JSON API under `/api`.

/// Declares a list's query parameters: its own filters, then the shared
/// `q`, `sort`, `page` and `limit`. Unknown parameters are refused, so a
/// mistyped filter is an error rather than a silently unfiltered list.
macro_rules! list_query {
    ($(#[$meta:meta])* $name:ident { $( $(#[$fmeta:meta])* $field:ident : $ty:ty, )* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
        #[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $( $(#[$fmeta])* #[serde(default, skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>, )*
            /// Free-text search.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub q: Option<String>,
            /// Sort column, `-` in front for descending (e.g. `-last_seen`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub sort: Option<String>,
            /// Page number, from 1.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub page: Option<u32>,
            /// Rows per page, at most 200 (default 50).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub limit: Option<u32>,
        }
    };
}

mod admin;
mod approval;
mod common;
mod enrolment;
#[macro_use]
mod enums;
mod import;
mod inventory;
mod lineage;
mod notify;
mod overview;
mod ownership;
mod platform;
mod review;
mod revocation;
mod risk;

pub use admin::*;
pub use approval::*;
pub use common::*;
pub use enrolment::*;
pub use enums::*;
pub use import::*;
pub use inventory::*;
pub use lineage::*;
pub use notify::*;
pub use overview::*;
pub use ownership::*;
pub use platform::*;
pub use review::*;
pub use revocation::*;
pub use risk::*;
