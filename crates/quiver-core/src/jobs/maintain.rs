//! When the maintenance worker visits an index: its table has enough dead rows (each one an
//! index entry that points nowhere until VACUUM removes it and repairs the graph around it).

/// Thresholds (GUCs `quiver.maintenance_dead_fraction` and `quiver.maintenance_min_dead`).
#[derive(Clone, Copy, Debug)]
pub struct Thresholds {
    /// Dead rows as a fraction of all rows at which an index is due.
    pub dead_fraction: f64,
    /// Fewer dead rows than this never make an index due.
    pub min_dead: i64,
}

/// The fraction of the table's rows that are dead (0 for an empty table).
pub fn dead_fraction(live: i64, dead: i64) -> f64 {
    let (live, dead) = (live.max(0) as f64, dead.max(0) as f64);
    if live + dead == 0.0 {
        0.0
    } else {
        dead / (live + dead)
    }
}

/// Whether an index over a table with `live` and `dead` rows is due for maintenance.
pub fn due(live: i64, dead: i64, t: Thresholds) -> bool {
    dead >= t.min_dead.max(1) && dead_fraction(live, dead) >= t.dead_fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_needs_both_the_fraction_and_the_minimum() {
        let t = Thresholds { dead_fraction: 0.1, min_dead: 50 };
        assert!(!due(1000, 0, t));
        assert!(!due(100, 20, t)); // 17% but fewer than 50
        assert!(!due(10_000, 500, t)); // 500 dead but under 10%
        assert!(due(1000, 300, t));
        assert!(!due(0, 0, t));
        assert!(due(0, 60, t));
        assert!(!due(0, 0, Thresholds { dead_fraction: 0.0, min_dead: 0 }));
        assert_eq!(dead_fraction(-5, 10), 1.0);
    }
}
