//! Organisation records: users, teams, departments, roles and their links, one module
//! each; sign-in's credentials in their own.

mod credentials;
mod department;
mod role;
mod team;
mod user;

pub use credentials::*;
pub use department::*;
pub use role::*;
pub use team::*;
pub use user::*;

/// `%`, `_` and `\` match themselves in a LIKE pattern built from user text.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
