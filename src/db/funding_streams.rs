//! Funding streams and their budgets per year as stored, with what awards
//! commit against them. Queries only: the rules a change keeps are the
//! domain's, applied in order by `ops::funding_streams`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::batch::{in_chunks, insert_each, LOOKUP};
use super::schema::{contracts, funding_lines, funding_streams as fs, stream_budgets as sb};
use super::sum::sum_pence;
use super::{lock_streams, DbConn};
use crate::domain::checked::Checked;
use crate::domain::contract::ContractStatus;
use crate::domain::due::{DueRule, DueRuleKind};
use crate::domain::funding_stream::{
    BudgetStatus, FundingStream, NewFundingStream, StreamDetails, StreamSortKey, YearBudget,
};
use crate::domain::id::{ContractId, FundingStreamId, OrganisationId};
use crate::domain::sort::Sort;
use crate::error::AppError;
use crate::fiscal::FinancialYear;
use crate::money::Money;

type Backend = <DbConn as diesel::Connection>::Backend;

#[derive(Queryable, Selectable)]
#[diesel(table_name = fs)]
struct StreamRow {
    id: FundingStreamId,
    code: String,
    name: String,
    funder: String,
    ringfenced: bool,
    description: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    return_due_days: Option<i32>,
    return_due_rule: Option<DueRuleKind>,
}

impl StreamRow {
    fn into_stream(self, budgets: Vec<YearBudget>) -> FundingStream {
        FundingStream {
            id: self.id,
            code: self.code,
            name: self.name,
            funder: self.funder,
            ringfenced: self.ringfenced,
            description: self.description,
            return_due_rule: self.return_due_rule,
            return_due_days: self.return_due_days,
            budgets,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        }
    }
}

/// Filters for `GET /funding-streams`.
#[derive(Debug, Default, Clone)]
pub struct StreamFilter {
    pub funder: Option<String>,
    pub code: Option<String>,
    pub ringfenced: Option<bool>,
    pub sort: Sort<StreamSortKey>,
}

/// Writes a new stream with its budgets.
pub fn insert(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    id: FundingStreamId,
    input: &Checked<NewFundingStream>,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(fs::table)
        .values((
            fs::id.eq(&id),
            fs::organisation_id.eq(organisation_id),
            fs::code.eq(input.code.as_str()),
            fs::name.eq(input.name.as_str()),
            fs::funder.eq(input.funder.as_str()),
            fs::ringfenced.eq(input.ringfenced),
            fs::description.eq(input.description()),
            fs::return_due_rule.eq(input.return_due_rule),
            fs::return_due_days.eq(input.return_due_days),
            fs::created_at.eq(at),
            fs::updated_at.eq(at),
        ))
        .execute(conn)?;
    for budget in &input.budgets {
        insert_budget(
            conn,
            id,
            budget.financial_year,
            budget.amount,
            budget.status,
            at,
        )?;
    }
    Ok(())
}

fn insert_budget(
    conn: &mut DbConn,
    stream_id: FundingStreamId,
    year: FinancialYear,
    amount: Money,
    status: BudgetStatus,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(sb::table)
        .values((
            sb::funding_stream_id.eq(stream_id),
            sb::financial_year.eq(year),
            sb::amount_pence.eq(amount.pence()),
            sb::status.eq(status),
            sb::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn get(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    id: FundingStreamId,
) -> Result<FundingStream, AppError> {
    let row = fs::table
        .filter(fs::id.eq(id))
        .filter(fs::organisation_id.eq(organisation_id))
        .select(StreamRow::as_select())
        .load(conn)?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound("funding stream"))?;
    let mut budgets = year_budgets(conn, std::slice::from_ref(&row.id))?;
    Ok(row.into_stream(budgets.remove(&id).unwrap_or_default()))
}

/// True when the stream exists in the organisation.
pub fn exists(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    id: FundingStreamId,
) -> Result<bool, AppError> {
    let found = fs::table
        .filter(fs::id.eq(id))
        .filter(fs::organisation_id.eq(organisation_id))
        .count()
        .get_result::<i64>(conn)?;
    Ok(found > 0)
}

/// Whether another stream of the organisation than `except` has the code.
pub fn code_taken(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    code: &str,
    except: Option<FundingStreamId>,
) -> Result<bool, AppError> {
    let mut query = fs::table
        .filter(fs::organisation_id.eq(organisation_id))
        .filter(fs::code.eq(code))
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(fs::id.ne(id));
    }
    Ok(query.count().get_result::<i64>(conn)? > 0)
}

fn filtered(organisation_id: OrganisationId, filter: &StreamFilter) -> fs::BoxedQuery<'_, Backend> {
    let mut query = fs::table
        .filter(fs::organisation_id.eq(organisation_id))
        .into_boxed();
    if let Some(funder) = &filter.funder {
        query = query.filter(fs::funder.eq(funder));
    }
    if let Some(code) = &filter.code {
        query = query.filter(fs::code.eq(code));
    }
    if let Some(ringfenced) = filter.ringfenced {
        query = query.filter(fs::ringfenced.eq(ringfenced));
    }
    query
}

pub fn list(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    filter: &StreamFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<FundingStream>, i64), AppError> {
    let total = filtered(organisation_id, filter)
        .count()
        .get_result::<i64>(conn)?;
    let rows = order_by!(filtered(organisation_id, filter), filter.sort, fs::id, {
        StreamSortKey::Code => fs::code,
        StreamSortKey::Name => fs::name,
        StreamSortKey::Funder => fs::funder,
        StreamSortKey::CreatedAt => fs::created_at,
    })
    .limit(limit)
    .offset(offset)
    .select(StreamRow::as_select())
    .load(conn)?;
    let ids: Vec<FundingStreamId> = rows.iter().map(|r| r.id).collect();
    let mut budgets = year_budgets(conn, &ids)?;
    let streams = rows
        .into_iter()
        .map(|row| {
            let years = budgets.remove(&row.id).unwrap_or_default();
            row.into_stream(years)
        })
        .collect();
    Ok((streams, total))
}

/// Writes a stream's own fields as they now stand.
pub fn set_details(
    conn: &mut DbConn,
    id: FundingStreamId,
    details: &StreamDetails,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let (return_due_rule, return_due_days) = DueRule::fields(details.return_due);
    diesel::update(fs::table.find(id))
        .set((
            fs::code.eq(&details.code),
            fs::name.eq(&details.name),
            fs::funder.eq(&details.funder),
            fs::ringfenced.eq(details.ringfenced),
            fs::description.eq(&details.description),
            fs::return_due_rule.eq(return_due_rule),
            fs::return_due_days.eq(return_due_days),
            fs::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether any contract, draft or awarded, has a funding line on the stream.
pub fn funds_contracts(conn: &mut DbConn, id: FundingStreamId) -> Result<bool, AppError> {
    let lines = funding_lines::table
        .filter(funding_lines::funding_stream_id.eq(id))
        .count()
        .get_result::<i64>(conn)?;
    Ok(lines > 0)
}

/// Removes a stream and its budgets.
pub fn delete(conn: &mut DbConn, id: FundingStreamId) -> Result<(), AppError> {
    diesel::delete(sb::table.filter(sb::funding_stream_id.eq(id))).execute(conn)?;
    diesel::delete(fs::table.find(id)).execute(conn)?;
    Ok(())
}

/// Sets (creates or replaces) one year's budget.
pub fn put_budget(
    conn: &mut DbConn,
    id: FundingStreamId,
    year: FinancialYear,
    amount: Money,
    status: BudgetStatus,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let updated = diesel::update(sb::table.find((id, year)))
        .set((
            sb::amount_pence.eq(amount.pence()),
            sb::status.eq(status),
            sb::updated_at.eq(at),
        ))
        .execute(conn)?;
    if updated == 0 {
        insert_budget(conn, id, year, amount, status, at)?;
    }
    Ok(())
}

/// Removes one year's budget; false when the stream had none for the year.
pub fn delete_budget(
    conn: &mut DbConn,
    id: FundingStreamId,
    year: FinancialYear,
) -> Result<bool, AppError> {
    let deleted = diesel::delete(sb::table.find((id, year))).execute(conn)?;
    Ok(deleted > 0)
}

/// Marks the stream as changed (a budget of its own was).
pub fn touch(conn: &mut DbConn, id: FundingStreamId, at: NaiveDateTime) -> Result<(), AppError> {
    diesel::update(fs::table.find(id))
        .set(fs::updated_at.eq(at))
        .execute(conn)?;
    Ok(())
}
/// A stream's budget for a year; no budget row means nothing may be committed.
pub fn budget(
    conn: &mut DbConn,
    stream_id: FundingStreamId,
    year: FinancialYear,
) -> Result<Money, AppError> {
    let pence = sb::table
        .find((stream_id, year))
        .select(sb::amount_pence)
        .load::<i64>(conn)?
        .into_iter()
        .next();
    Ok(Money::from_pence(pence.unwrap_or(0)))
}

/// What awarded contracts commit against a stream for a year, optionally
/// leaving out one contract (whose own lines are being replaced).
pub fn committed(
    conn: &mut DbConn,
    stream_id: FundingStreamId,
    year: FinancialYear,
    excluding_contract: Option<ContractId>,
) -> Result<Money, AppError> {
    let mut query = funding_lines::table
        .inner_join(contracts::table)
        .filter(funding_lines::funding_stream_id.eq(stream_id))
        .filter(funding_lines::financial_year.eq(year))
        .filter(contracts::status.ne(ContractStatus::Draft))
        .into_boxed();
    if let Some(contract_id) = excluding_contract {
        query = query.filter(contracts::id.ne(contract_id));
    }
    let pence = query
        .select(sum_pence(funding_lines::amount_pence))
        .get_result::<Option<i64>>(conn)?
        .unwrap_or(0);
    Ok(Money::from_pence(pence))
}

/// Budget, committed and uncommitted per year for each stream, in two
/// aggregate queries.
fn year_budgets(
    conn: &mut DbConn,
    stream_ids: &[FundingStreamId],
) -> Result<HashMap<FundingStreamId, Vec<YearBudget>>, AppError> {
    let budgets: Vec<(FundingStreamId, FinancialYear, i64, BudgetStatus)> = sb::table
        .filter(sb::funding_stream_id.eq_any(stream_ids))
        .order((sb::funding_stream_id, sb::financial_year))
        .select((
            sb::funding_stream_id,
            sb::financial_year,
            sb::amount_pence,
            sb::status,
        ))
        .load(conn)?;
    let committed: Vec<(FundingStreamId, FinancialYear, Option<i64>)> = funding_lines::table
        .inner_join(contracts::table)
        .filter(funding_lines::funding_stream_id.eq_any(stream_ids))
        .filter(contracts::status.ne(ContractStatus::Draft))
        .group_by((
            funding_lines::funding_stream_id,
            funding_lines::financial_year,
        ))
        .select((
            funding_lines::funding_stream_id,
            funding_lines::financial_year,
            sum_pence(funding_lines::amount_pence),
        ))
        .load(conn)?;
    let committed: HashMap<(FundingStreamId, FinancialYear), i64> = committed
        .into_iter()
        .map(|(s, y, pence)| ((s, y), pence.unwrap_or(0)))
        .collect();
    let mut by_stream: HashMap<FundingStreamId, Vec<YearBudget>> = HashMap::new();
    for (stream_id, financial_year, budget_pence, status) in budgets {
        let committed_pence = committed
            .get(&(stream_id, financial_year))
            .copied()
            .unwrap_or(0);
        let budget = Money::from_pence(budget_pence);
        let committed = Money::from_pence(committed_pence);
        let uncommitted = budget
            .checked_sub(committed)
            .map_err(crate::domain::funding_stream::overflow)?;
        by_stream.entry(stream_id).or_default().push(YearBudget {
            financial_year,
            status,
            budget,
            committed,
            uncommitted,
        });
    }
    Ok(by_stream)
}

/// The organisation's streams with these codes, for an import: each locked
/// (PostgreSQL) before its budgets are read, as a budget change locks its
/// stream, with budget and committed per year.
pub fn by_codes_locked(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    codes: &[String],
) -> Result<Vec<FundingStream>, AppError> {
    let ids: Vec<FundingStreamId> = in_chunks(codes, |chunk| {
        Ok(fs::table
            .filter(fs::organisation_id.eq(organisation_id))
            .filter(fs::code.eq_any(chunk))
            .select(fs::id)
            .load(conn)?)
    })?;
    lock_streams(conn, &ids)?;
    let rows: Vec<StreamRow> = in_chunks(&ids, |chunk| {
        Ok(fs::table
            .filter(fs::id.eq_any(chunk))
            .select(StreamRow::as_select())
            .load(conn)?)
    })?;
    let mut budgets = HashMap::new();
    for chunk in ids.chunks(LOOKUP) {
        budgets.extend(year_budgets(conn, chunk)?);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let years = budgets.remove(&row.id).unwrap_or_default();
            row.into_stream(years)
        })
        .collect())
}

/// A stream's own fields as an import writes them.
#[derive(Debug, Clone)]
pub struct StreamFields {
    pub id: FundingStreamId,
    pub code: String,
    pub name: String,
    pub funder: String,
    pub ringfenced: bool,
}

/// Creates streams (without budgets), [`BATCH`](crate::db::batch::BATCH) to a statement.
pub fn insert_many(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    streams: &[StreamFields],
    at: NaiveDateTime,
) -> Result<(), AppError> {
    insert_each!(conn, fs::table, streams, |stream| {
        (
            fs::id.eq(&stream.id),
            fs::organisation_id.eq(organisation_id),
            fs::code.eq(&stream.code),
            fs::name.eq(&stream.name),
            fs::funder.eq(&stream.funder),
            fs::ringfenced.eq(stream.ringfenced),
            fs::created_at.eq(at),
            fs::updated_at.eq(at),
        )
    })
}

/// Sets a stream's name, funder and ringfencing (its code is how it was found).
pub fn set_fields(
    conn: &mut DbConn,
    stream: &StreamFields,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(fs::table.find(&stream.id))
        .set((
            fs::name.eq(&stream.name),
            fs::funder.eq(&stream.funder),
            fs::ringfenced.eq(stream.ringfenced),
            fs::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// One year's budget of a stream, as an import sets it.
#[derive(Debug, Clone)]
pub struct BudgetFields {
    pub funding_stream_id: FundingStreamId,
    pub financial_year: FinancialYear,
    pub amount: Money,
    pub status: BudgetStatus,
}

/// Adds budgets for years the streams have none for, [`BATCH`](crate::db::batch::BATCH) to a statement.
pub fn insert_budgets(
    conn: &mut DbConn,
    budgets: &[BudgetFields],
    at: NaiveDateTime,
) -> Result<(), AppError> {
    insert_each!(conn, sb::table, budgets, |budget| {
        (
            sb::funding_stream_id.eq(&budget.funding_stream_id),
            sb::financial_year.eq(budget.financial_year),
            sb::amount_pence.eq(budget.amount.pence()),
            sb::status.eq(budget.status),
            sb::updated_at.eq(at),
        )
    })
}

/// Replaces a year's budget.
pub fn set_budget(
    conn: &mut DbConn,
    budget: &BudgetFields,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(sb::table.find((&budget.funding_stream_id, budget.financial_year)))
        .set((
            sb::amount_pence.eq(budget.amount.pence()),
            sb::status.eq(budget.status),
            sb::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks streams as changed (a budget of theirs was), as [`touch`] does.
pub fn touch_many(
    conn: &mut DbConn,
    ids: &[FundingStreamId],
    at: NaiveDateTime,
) -> Result<(), AppError> {
    in_chunks(ids, |chunk| {
        diesel::update(fs::table.filter(fs::id.eq_any(chunk)))
            .set(fs::updated_at.eq(at))
            .execute(conn)?;
        Ok(Vec::<()>::new())
    })?;
    Ok(())
}
