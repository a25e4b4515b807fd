//! Budget report latency: `GET /api/v1/reports/budget` through the service,
//! against its floor — the same `ops::reports::budget_in` (the report's
//! SQL and assembly) called in-process on one connection. Runs alternate
//! between the two so that both see the same machine; the first few of
//! each are warm-ups. The API's JSON must equal the in-process report's.

use std::time::Instant;

use commissioning::db;
use commissioning::domain::report::BudgetFilter;
use commissioning::fiscal::{FinancialYear, YearRange};
use commissioning::ops::reports;

use crate::http::{Connection, Request};
use crate::report::{BudgetFigures, Latency};
use crate::service::Service;

/// The year reported: one every contract period may touch.
pub const YEAR: &str = "2024-25";
const WARMUPS: usize = 3;

pub fn measure(
    service: &Service,
    token: &str,
    database_url: &str,
    organisation_id: &str,
    runs: usize,
) -> Result<BudgetFigures, String> {
    let year = FinancialYear::parse(YEAR).map_err(|e| e.to_string())?;
    let filter = BudgetFilter {
        years: YearRange::single(year),
        funding_stream_id: None,
    };
    let request = Request::get(format!("/api/v1/reports/budget?financial_year={YEAR}"))
        .to_bytes(&service.addr.to_string(), token);
    let mut http = Connection::open(service.addr).map_err(|e| e.to_string())?;
    let mut conn = db::connect_one(database_url).map_err(|e| e.to_string())?;

    let mut api_ms = Vec::with_capacity(runs);
    let mut sql_ms = Vec::with_capacity(runs);
    for run in 0..WARMUPS + runs {
        let started = Instant::now();
        let response = http.send(&request).map_err(|e| e.to_string())?;
        let api = started.elapsed();
        if response.status != 200 {
            return Err(format!(
                "GET /api/v1/reports/budget answered {}: {}",
                response.status,
                response.body_text()
            ));
        }

        let started = Instant::now();
        let report =
            reports::budget_in(&mut conn, organisation_id.parse().expect("an id"), &filter)
                .map_err(|e| format!("budget_in: {e}"))?;
        let sql = started.elapsed();

        if run == 0 {
            let from_api: serde_json::Value =
                serde_json::from_slice(&response.body).map_err(|e| e.to_string())?;
            let in_process = serde_json::to_value(&report).map_err(|e| e.to_string())?;
            if from_api != in_process {
                return Err("the API's budget report differs from budget_in's".into());
            }
            let lines = from_api
                .get("streams")
                .and_then(|l| l.as_array())
                .map_or(0, Vec::len);
            eprintln!(
                "  {YEAR}: {lines} stream lines, {} bytes of JSON",
                response.body.len()
            );
        }
        if run >= WARMUPS {
            api_ms.push(api.as_secs_f64() * 1000.0);
            sql_ms.push(sql.as_secs_f64() * 1000.0);
        }
    }
    Ok(BudgetFigures {
        api: Latency::of(api_ms),
        sql: Latency::of(sql_ms),
    })
}
