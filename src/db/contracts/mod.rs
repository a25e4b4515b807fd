//! Contracts as stored: the contract's row and the read view assembled from
//! it, its funding lines ([`lines`]), its history ([`history`]) and its
//! payments ([`payments`]). Queries only: the rules a change keeps are the
//! domain's, applied in order by `ops::contracts`.

pub mod history;
pub mod lines;
pub mod payments;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{contracts as c, funding_lines as fl, providers};
use super::DbConn;
use crate::auth::Scope;
use crate::domain::checked::Checked;
use crate::domain::contract::{
    Contract, ContractKind, ContractSortKey, ContractStatus, DraftTerms, FundingLine, NewContract,
};
use crate::domain::due::{DueRule, DueRuleKind};
use crate::domain::error::overflow;
use crate::domain::id::{ContractId, FundingStreamId, OrganisationId, ProviderId};
use crate::domain::sort::Sort;
use crate::error::AppError;
use crate::fiscal::Period;
use crate::money::Money;

type Backend = <DbConn as diesel::Connection>::Backend;

#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = c)]
pub struct ContractRow {
    pub id: ContractId,
    pub organisation_id: OrganisationId,
    pub provider_id: ProviderId,
    pub kind: ContractKind,
    pub reference: Option<String>,
    pub title: String,
    pub purpose: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub value_pence: i64,
    pub status: ContractStatus,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub return_due_days: Option<i32>,
    pub return_due_rule: Option<DueRuleKind>,
}

impl ContractRow {
    pub fn value(&self) -> Money {
        Money::from_pence(self.value_pence)
    }

    /// A draft's own fields, as a change reads them.
    pub fn terms(&self) -> DraftTerms {
        DraftTerms {
            provider_id: self.provider_id,
            kind: self.kind,
            reference: self.reference.clone(),
            title: self.title.clone(),
            purpose: self.purpose.clone(),
            start_date: self.start_date,
            end_date: self.end_date,
            value: self.value(),
            return_due: self.due_rule(),
        }
    }

    /// The contract's own due rule, if it sets one.
    pub fn due_rule(&self) -> Option<DueRule> {
        DueRule::from_fields(self.return_due_rule, self.return_due_days)
    }

    /// The row after a draft's terms changed.
    pub fn with_terms(self, terms: DraftTerms, at: NaiveDateTime) -> ContractRow {
        let (return_due_rule, return_due_days) = DueRule::fields(terms.return_due);
        ContractRow {
            provider_id: terms.provider_id,
            kind: terms.kind,
            reference: terms.reference,
            title: terms.title,
            purpose: terms.purpose,
            start_date: terms.start_date,
            end_date: terms.end_date,
            value_pence: terms.value.pence(),
            return_due_rule,
            return_due_days,
            updated_at: at,
            ..self
        }
    }
}

/// Filters for `GET /contracts`.
#[derive(Debug, Default, Clone)]
pub struct ContractFilter {
    pub provider_id: Option<ProviderId>,
    pub status: Option<ContractStatus>,
    pub kind: Option<ContractKind>,
    pub funding_stream_id: Option<FundingStreamId>,
    /// Contracts whose period overlaps it.
    pub period: Option<Period>,
    pub sort: Sort<ContractSortKey>,
}

fn scoped(scope: &Scope) -> c::BoxedQuery<'_, Backend> {
    let mut query = c::table
        .filter(c::organisation_id.eq(scope.organisation_id))
        .into_boxed();
    if let Some(provider_id) = scope.provider_id {
        query = query.filter(c::provider_id.eq(provider_id));
    }
    query
}

/// The contract's row, if the scope can see it.
pub fn load(conn: &mut DbConn, scope: &Scope, id: ContractId) -> Result<ContractRow, AppError> {
    scoped(scope)
        .filter(c::id.eq(id))
        .select(ContractRow::as_select())
        .load(conn)?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound("contract"))
}

/// The contract as a read shows it, from its row, its funding lines and
/// what has been paid against it.
fn contract_from(
    row: ContractRow,
    funding_lines: Vec<FundingLine>,
    paid: Money,
) -> Result<Contract, AppError> {
    let funded = Money::sum(funding_lines.iter().map(|l| l.amount)).map_err(overflow)?;
    Ok(Contract {
        kind: row.kind,
        status: row.status,
        value: row.value(),
        id: row.id,
        provider_id: row.provider_id,
        reference: row.reference,
        title: row.title,
        purpose: row.purpose,
        start_date: row.start_date,
        end_date: row.end_date,
        return_due_rule: row.return_due_rule,
        return_due_days: row.return_due_days,
        funding_lines,
        funded,
        paid,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    })
}

fn assemble(conn: &mut DbConn, rows: Vec<ContractRow>) -> Result<Vec<Contract>, AppError> {
    let ids: Vec<ContractId> = rows.iter().map(|r| r.id).collect();
    let mut lines = lines::of_contracts(conn, &ids)?;
    let paid = payments::paid_by_contract(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let (own, rest): (Vec<_>, Vec<_>) =
                lines.drain(..).partition(|(cid, _)| *cid == row.id);
            lines = rest;
            let funding_lines: Vec<FundingLine> = own.into_iter().map(|(_, line)| line).collect();
            let paid = paid
                .iter()
                .find(|(cid, _)| *cid == row.id)
                .map_or(Money::ZERO, |(_, paid)| *paid);
            contract_from(row, funding_lines, paid)
        })
        .collect()
}

/// A contract just written, as a read would show it: its row and lines as
/// the write left them (the caller has both), and what has been paid.
pub fn written(
    conn: &mut DbConn,
    row: ContractRow,
    funding_lines: Vec<FundingLine>,
) -> Result<Contract, AppError> {
    let paid = payments::paid_on(conn, row.id)?;
    contract_from(row, funding_lines, paid)
}

pub fn get(conn: &mut DbConn, scope: &Scope, id: ContractId) -> Result<Contract, AppError> {
    let row = load(conn, scope, id)?;
    let mut contracts = assemble(conn, vec![row])?;
    contracts.pop().ok_or(AppError::NotFound("contract"))
}

fn filtered<'a>(scope: &'a Scope, filter: &'a ContractFilter) -> c::BoxedQuery<'a, Backend> {
    let mut query = scoped(scope);
    if let Some(provider_id) = filter.provider_id {
        query = query.filter(c::provider_id.eq(provider_id));
    }
    if let Some(status) = filter.status {
        query = query.filter(c::status.eq(status));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(c::kind.eq(kind));
    }
    if let Some(stream_id) = filter.funding_stream_id {
        let funded_by = fl::table
            .filter(fl::funding_stream_id.eq(stream_id))
            .select(fl::contract_id);
        query = query.filter(c::id.eq_any(funded_by));
    }
    if let Some(period) = filter.period {
        let dates = period.dates();
        query = query
            .filter(c::start_date.le(dates.end()))
            .filter(c::end_date.ge(dates.start()));
    }
    query
}

pub fn list(
    conn: &mut DbConn,
    scope: &Scope,
    filter: &ContractFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Contract>, i64), AppError> {
    let total = filtered(scope, filter).count().get_result::<i64>(conn)?;
    let rows = order_by!(filtered(scope, filter), filter.sort, c::id, {
        ContractSortKey::Reference => c::reference,
        ContractSortKey::Title => c::title,
        ContractSortKey::StartDate => c::start_date,
        ContractSortKey::EndDate => c::end_date,
        ContractSortKey::Value => c::value_pence,
        ContractSortKey::Status => c::status,
        ContractSortKey::CreatedAt => c::created_at,
    })
    .limit(limit)
    .offset(offset)
    .select(ContractRow::as_select())
    .load(conn)?;
    Ok((assemble(conn, rows)?, total))
}

/// Whether the provider is one of the organisation's.
pub fn provider_in(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    provider_id: ProviderId,
) -> Result<bool, AppError> {
    let found = providers::table
        .filter(providers::id.eq(provider_id))
        .filter(providers::organisation_id.eq(organisation_id))
        .count()
        .get_result::<i64>(conn)?;
    Ok(found > 0)
}

/// Writes a new contract's row, as a draft.
pub fn insert(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    id: ContractId,
    input: &Checked<NewContract>,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(c::table)
        .values((
            c::id.eq(id),
            c::organisation_id.eq(organisation_id),
            c::provider_id.eq(input.provider_id),
            c::kind.eq(input.kind),
            c::reference.eq(input.reference()),
            c::title.eq(input.title.as_str()),
            c::purpose.eq(input.purpose()),
            c::start_date.eq(input.start_date),
            c::end_date.eq(input.end_date),
            c::value_pence.eq(input.value.pence()),
            c::status.eq(ContractStatus::Draft),
            c::return_due_rule.eq(input.return_due_rule),
            c::return_due_days.eq(input.return_due_days),
            c::created_at.eq(at),
            c::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes a draft's terms as they now stand.
pub fn set_terms(conn: &mut DbConn, row: &ContractRow) -> Result<(), AppError> {
    diesel::update(c::table.find(row.id))
        .set((
            c::provider_id.eq(row.provider_id),
            c::kind.eq(row.kind),
            c::reference.eq(&row.reference),
            c::title.eq(&row.title),
            c::purpose.eq(&row.purpose),
            c::start_date.eq(row.start_date),
            c::end_date.eq(row.end_date),
            c::value_pence.eq(row.value_pence),
            c::return_due_rule.eq(row.return_due_rule),
            c::return_due_days.eq(row.return_due_days),
            c::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes a contract's status, value and end date as they now stand.
pub fn set_standing(conn: &mut DbConn, row: &ContractRow) -> Result<(), AppError> {
    diesel::update(c::table.find(row.id))
        .set((
            c::status.eq(row.status),
            c::value_pence.eq(row.value_pence),
            c::end_date.eq(row.end_date),
            c::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes a draft contract and its lines.
pub fn delete(conn: &mut DbConn, id: ContractId) -> Result<(), AppError> {
    lines::delete_all(conn, id)?;
    diesel::delete(c::table.find(id)).execute(conn)?;
    Ok(())
}
