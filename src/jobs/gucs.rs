//! The background workers' settings.

use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};

pub static MAINTENANCE: GucSetting<bool> = GucSetting::<bool>::new(true);
pub static NAPTIME: GucSetting<i32> = GucSetting::<i32>::new(60);
pub static DEAD_FRACTION: GucSetting<f64> = GucSetting::<f64>::new(0.1);
pub static MIN_DEAD: GucSetting<i32> = GucSetting::<i32>::new(1000);
pub static MAX_WORKERS: GucSetting<i32> = GucSetting::<i32>::new(2);
pub static COST_DELAY: GucSetting<f64> = GucSetting::<f64>::new(2.0);
pub static JOB_RETENTION: GucSetting<i32> = GucSetting::<i32>::new(7 * 24 * 3600);

pub fn init() {
    GucRegistry::define_bool_guc(
        c"quiver.maintenance",
        c"Runs the background maintenance of vector indexes (needs quiver in shared_preload_libraries)",
        c"",
        &MAINTENANCE,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"quiver.maintenance_naptime",
        c"Time between two visits of each database by the maintenance worker",
        c"",
        &NAPTIME,
        1,
        86_400,
        GucContext::Sighup,
        GucFlags::UNIT_S,
    );
    GucRegistry::define_float_guc(
        c"quiver.maintenance_dead_fraction",
        c"Fraction of a table's rows that are dead at which its vector indexes are maintained",
        c"",
        &DEAD_FRACTION,
        0.0,
        1.0,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"quiver.maintenance_min_dead",
        c"Fewest dead rows in a table for which its vector indexes are maintained",
        c"",
        &MIN_DEAD,
        0,
        i32::MAX,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"quiver.max_maintenance_workers",
        c"Databases the maintenance launcher visits at the same time",
        c"",
        &MAX_WORKERS,
        1,
        64,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_float_guc(
        c"quiver.maintenance_cost_delay",
        c"Cost-based delay of the maintenance worker's VACUUMs, in milliseconds (as autovacuum_vacuum_cost_delay)",
        c"quiver.maintain() in the foreground runs without delay, as a manual VACUUM does.",
        &COST_DELAY,
        0.0,
        100.0,
        GucContext::Sighup,
        GucFlags::UNIT_MS,
    );
    GucRegistry::define_int_guc(
        c"quiver.job_retention",
        c"How long ended jobs stay in quiver.jobs",
        c"The maintenance worker deletes older ones.",
        &JOB_RETENTION,
        0,
        i32::MAX,
        GucContext::Sighup,
        GucFlags::UNIT_S,
    );
}
