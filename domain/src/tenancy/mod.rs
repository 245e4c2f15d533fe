//! The tenancy tree: platform → agents (any depth) → merchants (with child merchants) → stores,
//! plus the legal entities behind merchant numbers.

pub mod model;
pub mod ports;
pub mod service;
pub mod service_merchants;
pub mod service_stores;

pub use model::*;
