//! `/metrics` in Prometheus text format: requests by route pattern, method
//! and status with their latencies (actix-web-prom, which labels by the
//! matched pattern such as `/api/v1/contracts/{id}`, so ids never become
//! labels), time spent in the database, and the connection pool's use.

use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use prometheus::core::Collector;
use prometheus::Registry;

use crate::db::metrics::{PoolCollector, DB_SECONDS};
use crate::db::Db;
use crate::error::AppError;

pub const METRICS_PATH: &str = "/metrics";
/// Every metric's prefix.
pub const NAMESPACE: &str = crate::db::metrics::NAMESPACE;

/// Builds the middleware that counts every request and serves `/metrics`.
pub fn middleware(db: &Db) -> Result<PrometheusMetrics, AppError> {
    let registry = Registry::new();
    let register = |collector: Box<dyn Collector>| {
        registry
            .register(collector)
            .map_err(|e| AppError::internal("metrics registry", e))
    };
    register(Box::new(DB_SECONDS.clone()))?;
    register(Box::new(PoolCollector::new(db.clone())?))?;
    PrometheusMetricsBuilder::new(NAMESPACE)
        .endpoint(METRICS_PATH)
        .registry(registry)
        .mask_unmatched_patterns("unmatched")
        .build()
        .map_err(|e| AppError::internal("metrics middleware", std::io::Error::other(e.to_string())))
}
