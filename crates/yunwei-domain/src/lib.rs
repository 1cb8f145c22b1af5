//! Pure rules of Yunwei. No IO, no async, no SQL: every function here can be
//! tested with plain values, and every other crate asks these rules for answers.
//!
//! Modules carry the process name used in every crate (`admin`, `audit`, …).

pub mod admin;
pub mod alert;
pub mod asset;
pub mod audit;
pub mod auth;
pub mod change;
pub mod cmdb;
pub mod duty;
pub mod error;
pub mod escalation;
pub mod event;
pub mod ids;
pub mod improvement;
pub mod incident;
pub mod knowledge;
pub mod major;
pub mod page;
pub mod permission;
pub mod policy;
pub mod problem;
pub mod request;
pub mod search;
pub mod sla;
pub mod survey;
pub mod ticket;
pub mod validate;
pub mod webhook;

pub use error::{DomainError, FieldError};
