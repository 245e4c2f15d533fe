//! Users, roles, permissions, login and tokens.

pub mod model;
pub mod ports;
pub mod roles;
pub mod service;

pub use model::*;
pub use roles::{NodeKind, Permission, Role};
