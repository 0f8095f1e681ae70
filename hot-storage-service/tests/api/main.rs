//! Service tests over real HTTP (servers on 127.0.0.1:0), each against
//! SQLite and PostgreSQL. One test binary, so one PostgreSQL cluster.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod authority;
mod bad_input;
mod bounds;
mod catalog;
mod dpop;
mod hot_routes;
mod isolation;
mod jwt;
mod limits_expiry;
mod logging;
mod otlp;
mod policy;
mod policy_activity;
mod policy_approvals;
mod policy_limits;
mod policy_parts;
mod policy_recover;
mod policy_support;
mod policy_user_rules;
mod refresh;
mod sealing;
mod shield;
mod static_and_ops;
