//! Implementations of the domain ports: database (sea-orm), cache (in-process and Redis) and
//! crypto (aws-lc-rs, argon2, jsonwebtoken).

pub mod cache;
pub mod channels;
pub mod crypto;
pub mod db;
pub mod qr;
pub mod webhook;
