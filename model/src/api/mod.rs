//! Request and response bodies of the JSON API under `/api`.

mod common;
mod enums;
mod inventory;
mod lineage;

pub use common::*;
pub use enums::*;
pub use inventory::*;
pub use lineage::*;
