//! Open API apps, their keys, and the request-signature check.

pub mod ip;
pub mod model;
pub mod open_auth;
pub mod ports;
pub mod service;

pub use model::*;
