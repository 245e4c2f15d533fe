//! The audit log: who did what to which record, with masked before/after values.

pub mod model;
pub mod ports;
pub mod service;

pub use model::*;
