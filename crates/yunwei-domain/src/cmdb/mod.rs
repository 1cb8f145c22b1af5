//! Configuration management (CMDB): rules about CIs and their relations.

pub mod impact;
