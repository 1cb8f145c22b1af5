//! Black-box tests through the HTTP API, on SQLite or (with
//! YUNWEI_TEST_DATABASE_URL) PostgreSQL. One binary, many modules: linking
//! once keeps the suite fast on two cores.

mod admin;
mod audit;
mod audit_checkpoints;
mod auth;
mod authz_matrix;
mod bad_input;
mod browser;
mod browser_forms;
mod browser_home;
mod cli;
mod cli_database;
mod cmdb_graph;
mod cmdb_impact;
mod crawl;
mod demo;
mod duties;
mod exposure;
mod first_steps;
mod first_steps_browser;
mod forms;
mod home;
mod idempotency;
mod incident;
mod incident_pages;
mod language;
mod live;
mod mail_in;
mod major;
mod notify;
mod ops;
mod pages;
mod queue_tools;
mod request;
mod route_walk;
mod scheduler;
mod survey;
mod survey_pages;
mod survey_stats;
mod use_cases;
mod webhooks;
