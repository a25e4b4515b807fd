//! What the database measures of itself, for `/metrics` to serve: time
//! spent in each unit of work and the connection pool's use.

use std::sync::LazyLock;

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{HistogramOpts, HistogramVec, IntGauge, Opts};

use super::Db;
use crate::error::AppError;

/// Every metric's prefix.
pub const NAMESPACE: &str = "commissioning";

/// Seconds each database unit of work took, by `kind` (`read`, `write`),
/// from taking a connection to finishing (so waiting for the pool counts).
pub static DB_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    HistogramVec::new(
        HistogramOpts::new(
            "db_seconds",
            "Time spent in database work, waiting for a connection included",
        )
        .namespace(NAMESPACE)
        .buckets(vec![
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
        ]),
        &["kind"],
    )
    .unwrap_or_else(|e| unreachable!("constant metric options are valid: {e}"))
});

/// Reads the pool's state when scraped.
pub struct PoolCollector {
    db: Db,
    connections: IntGauge,
    idle: IntGauge,
    max: IntGauge,
}

impl PoolCollector {
    pub fn new(db: Db) -> Result<PoolCollector, AppError> {
        let gauge = |name: &str, help: &str| {
            IntGauge::with_opts(Opts::new(name, help).namespace(NAMESPACE))
                .map_err(|e| AppError::internal("metrics gauge", e))
        };
        Ok(PoolCollector {
            db,
            connections: gauge("db_pool_connections", "Database connections open")?,
            idle: gauge(
                "db_pool_idle_connections",
                "Database connections open and not in use",
            )?,
            max: gauge("db_pool_max_connections", "Most connections the pool opens")?,
        })
    }
}

impl Collector for PoolCollector {
    fn desc(&self) -> Vec<&Desc> {
        [&self.connections, &self.idle, &self.max]
            .into_iter()
            .flat_map(|gauge| gauge.desc())
            .collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let state = self.db.pool_state();
        self.connections.set(i64::from(state.connections));
        self.idle.set(i64::from(state.idle));
        self.max.set(i64::from(state.max));
        [&self.connections, &self.idle, &self.max]
            .into_iter()
            .flat_map(|gauge| gauge.collect())
            .collect()
    }
}
