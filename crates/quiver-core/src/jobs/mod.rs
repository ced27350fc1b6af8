//! Background jobs: what the pgrx layer's workers need decided without PostgreSQL.
//!
//! * [`names`]   — generated index names (PostgreSQL's rules), for builds and their partitions.
//! * [`spec`]    — the job a worker is started for, as passed through the worker's `bgw_extra`.
//! * [`maintain`] — when an index is due for maintenance.
//! * [`metrics`] — counters and the latency histogram, written as Prometheus text.

pub mod maintain;
pub mod metrics;
pub mod names;
pub mod spec;
