//! Configuration management (CMDB) use cases.

pub mod graph;
