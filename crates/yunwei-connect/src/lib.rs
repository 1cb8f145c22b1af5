//! The outside world. Each module speaks one protocol and knows nothing of the
//! database; core decides what to send and records the outcome.

pub mod chat;
pub mod mail;
pub mod mail_in;
#[cfg(any(test, feature = "testing"))]
pub mod test_setup;
pub mod webhook;
