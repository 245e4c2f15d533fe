//! Payments: pay ways, orders, refunds, merchant notifications, and their storage ports.

pub mod admin;
pub mod breaker;
pub mod callbacks;
pub mod delivery;
pub mod errors;
pub mod events;
pub mod gateway;
pub mod input;
pub mod jobs;
pub mod notification;
pub mod order;
pub mod ports;
pub mod quota;
pub mod refund;
pub mod risk;
pub mod risk_admin;
pub mod risk_rules;
pub mod routing;
pub mod service;
pub mod service_cashier;
pub mod service_create;
pub mod service_ops;
pub mod service_refund;
pub mod way;
