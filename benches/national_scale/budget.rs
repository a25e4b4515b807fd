//! Budget report latency: `GET /api/v1/reports/budget` through the service
//! against the same aggregate run in-process on one connection (the floor).
//!
//! PENDING: the report endpoint and `commissioning::db::reports` are being
//! written on `main` and are not on this branch yet; until they are, this
//! reports why nothing was measured.

use crate::report::BudgetFigures;
use crate::service::Service;

pub fn measure(
    _service: &Service,
    _token: &str,
    _database_url: &str,
    _organisation_id: &str,
    _runs: usize,
) -> Result<BudgetFigures, String> {
    Err("the budget report has not landed on main yet".into())
}
