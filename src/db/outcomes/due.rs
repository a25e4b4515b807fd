//! When returns are due, and what the missing and late list judges each
//! contract by.

use crate::domain::id::{ContractId, FundingStreamId, OrganisationId, ProviderId};
use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::Scope;
use crate::db::organisations;
use crate::db::schema::{
    contracts as c, funding_lines as fl, funding_streams as fs, outcome_returns as r,
};
use crate::db::DbConn;
use crate::domain::contract::{period, ContractStatus};
use crate::domain::due::{DueRule, DueRuleKind, DueRules};
use crate::domain::outcome::ContractReturns;
use crate::error::AppError;
use crate::fiscal::{FinancialYear, FiscalQuarter, Quarter};

/// The rules that decide each contract's due dates: its own, those of the
/// streams funding it, and its organisation's.
pub(super) fn due_rules_for(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    contract_ids: &[ContractId],
) -> Result<HashMap<ContractId, DueRules>, AppError> {
    type Fields = (ContractId, Option<DueRuleKind>, Option<i32>);
    let mut own = c::table
        .select((c::id, c::return_due_rule, c::return_due_days))
        .into_boxed();
    let mut from_streams = fl::table
        .inner_join(fs::table)
        .filter(
            fs::return_due_rule
                .is_not_null()
                .or(fs::return_due_days.is_not_null()),
        )
        .select((fl::contract_id, fs::return_due_rule, fs::return_due_days))
        .distinct()
        .into_boxed();
    // `=` for one id: PostgreSQL re-plans `= ANY(...)` on every execution.
    match contract_ids {
        [one] => {
            own = own.filter(c::id.eq(one));
            from_streams = from_streams.filter(fl::contract_id.eq(one));
        }
        many => {
            own = own.filter(c::id.eq_any(many));
            from_streams = from_streams.filter(fl::contract_id.eq_any(many));
        }
    }
    let own: Vec<Fields> = own.load(conn)?;
    let from_streams: Vec<Fields> = from_streams.load(conn)?;
    let organisation = organisations::due_rule(conn, organisation_id)?;
    let mut rules: HashMap<ContractId, DueRules> = own
        .into_iter()
        .map(|(id, kind, days)| {
            let rules = DueRules {
                contract: DueRule::from_fields(kind, days),
                streams: Vec::new(),
                organisation,
            };
            (id, rules)
        })
        .collect();
    for (id, kind, days) in from_streams {
        if let (Some(entry), Some(rule)) = (rules.get_mut(&id), DueRule::from_fields(kind, days)) {
            entry.streams.push(rule);
        }
    }
    Ok(rules)
}

/// The rules of one contract.
pub(super) fn due_rules_of(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    contract_id: ContractId,
) -> Result<DueRules, AppError> {
    Ok(due_rules_for(conn, organisation_id, &[contract_id])?
        .remove(&contract_id)
        .unwrap_or_default())
}

/// Which contracts the missing and late returns list is about.
#[derive(Debug, Default, Clone)]
pub struct DueFilter {
    pub funding_stream_id: Option<FundingStreamId>,
    pub provider_id: Option<ProviderId>,
}

/// Every awarded contract in scope, as the missing and late list judges
/// it: its period, its due rules, and when each of its returns arrived.
pub fn contracts_due(
    conn: &mut DbConn,
    scope: &Scope,
    filter: &DueFilter,
) -> Result<Vec<ContractReturns>, AppError> {
    let mut query = c::table
        .filter(c::organisation_id.eq(&scope.organisation_id))
        .filter(c::status.ne(ContractStatus::Draft))
        .into_boxed();
    if let Some(provider_id) = scope.provider_id.as_ref().or(filter.provider_id.as_ref()) {
        query = query.filter(c::provider_id.eq(provider_id));
    }
    if let (Some(own), Some(asked)) = (&scope.provider_id, &filter.provider_id) {
        if own != asked {
            return Ok(Vec::new());
        }
    }
    if let Some(stream_id) = &filter.funding_stream_id {
        let funded = fl::table
            .filter(fl::funding_stream_id.eq(stream_id))
            .select(fl::contract_id);
        query = query.filter(c::id.eq_any(funded));
    }
    let contracts: Vec<(ContractId, ProviderId, NaiveDate, NaiveDate)> = query
        .order(c::id)
        .select((c::id, c::provider_id, c::start_date, c::end_date))
        .load(conn)?;
    let ids: Vec<ContractId> = contracts.iter().map(|c| c.0).collect();
    let mut rules = due_rules_for(conn, scope.organisation_id, &ids)?;
    type Arrival = (
        ContractId,
        FinancialYear,
        Quarter,
        Option<NaiveDateTime>,
        Option<NaiveDate>,
    );
    let arrived: Vec<Arrival> = r::table
        .filter(r::contract_id.eq_any(&ids))
        .filter(
            r::first_submitted_at
                .is_not_null()
                .or(r::received_on.is_not_null()),
        )
        .select((
            r::contract_id,
            r::financial_year,
            r::quarter,
            r::first_submitted_at,
            r::received_on,
        ))
        .load(conn)?;
    contracts
        .into_iter()
        .map(|(contract_id, provider_id, start, end)| {
            let mut on_file = Vec::new();
            for (_, year, quarter, at, received) in arrived.iter().filter(|s| s.0 == contract_id) {
                let period = FiscalQuarter {
                    year: *year,
                    quarter: *quarter,
                };
                // A return received on paper arrived when it was received,
                // whenever it was keyed in.
                if let Some(on) = received.or(at.map(|t| t.date())) {
                    on_file.push((period, on));
                }
            }
            Ok(ContractReturns {
                due: rules.remove(&contract_id).unwrap_or_default(),
                contract_id,
                provider_id,
                period: period(start, end)?,
                submitted: on_file,
            })
        })
        .collect()
}
