//! The outside world. Each module speaks one protocol and knows nothing of the
//! database; core decides what to send and records the outcome.

pub mod mail;
pub mod mail_in;
pub mod webhook;
