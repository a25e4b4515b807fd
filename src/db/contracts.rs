use crate::domain::id::{
    ContractId, FundingLineId, FundingStreamId, OrganisationId, PaymentId, ProviderId, VariationId,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::domain::commitment::{kept_parts, kept_until};
use crate::domain::due::{DueRule, DueRuleKind};
use crate::domain::funding_stream::overflow;
use crate::domain::profile::{Headroom, PlannedLine, QuarterShare};

use super::commitments;
use super::funding_streams::{self, check_award};
use super::schema::funding_line_quarters as flq;
use super::schema::{
    contract_variations as cv, contracts as c, funding_lines as fl, payments as p, providers,
};
use super::sum::sum_pence;
use super::{lock_streams, now, DbConn};
use crate::auth::{Actor, Scope};
use crate::domain::contract::{
    check_closing_adjustment, check_draft, check_early_end, check_fully_funded, check_line_amount,
    check_line_is_new, check_lines_within, check_new_line, check_payable,
    check_payment_within_value, check_release_covers_paid, check_reversible, paying_stream, period,
    plan_lines, Contract, ContractKind, ContractSortKey, ContractStatus, DraftChange, DraftTerms,
    FundingLine, FundingLineInput, NewContract, NewPayment, NewReversal, NewVariation, Payment,
    StatusChange, ValidContractChanges, ValidStatusChange, Variation, VariationKind,
};
use crate::domain::sort::Sort;
use crate::domain::text::Checks;
use crate::error::AppError;
use crate::fiscal::{DateRange, FinancialYear, FiscalQuarter, Quarter};
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

    fn terms(&self) -> DraftTerms {
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
}

/// Filters for `GET /contracts`.
#[derive(Debug, Default, Clone)]
pub struct ContractFilter {
    pub provider_id: Option<ProviderId>,
    pub status: Option<ContractStatus>,
    pub kind: Option<ContractKind>,
    pub funding_stream_id: Option<FundingStreamId>,
    /// Contracts whose period overlaps the year.
    pub financial_year: Option<FinancialYear>,
    pub sort: Sort<ContractSortKey>,
}

fn scoped(scope: &Scope) -> c::BoxedQuery<'_, Backend> {
    let mut query = c::table
        .filter(c::organisation_id.eq(&scope.organisation_id))
        .into_boxed();
    if let Some(provider_id) = &scope.provider_id {
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

pub(crate) fn lines_of(
    conn: &mut DbConn,
    contract_ids: &[ContractId],
) -> Result<Vec<(ContractId, FundingLine)>, AppError> {
    // One id is compared with `=`, not `= ANY(...)`: PostgreSQL re-plans
    // an array comparison on every execution, which dominated reading one
    // contract.
    let query = match contract_ids {
        [one] => fl::table.filter(fl::contract_id.eq(one)).into_boxed(),
        many => fl::table.filter(fl::contract_id.eq_any(many)).into_boxed(),
    };
    type LineRow = (
        ContractId,
        FundingLineId,
        FundingStreamId,
        FinancialYear,
        i64,
        bool,
    );
    let rows: Vec<LineRow> = query
        .order((fl::contract_id, fl::financial_year, fl::funding_stream_id))
        .select((
            fl::contract_id,
            fl::id,
            fl::funding_stream_id,
            fl::financial_year,
            fl::amount_pence,
            fl::profiled,
        ))
        .load(conn)?;
    let schedules = schedules_of(conn, contract_ids)?;
    Ok(rows
        .into_iter()
        .map(
            |(contract_id, id, funding_stream_id, financial_year, pence, profiled)| {
                let quarters = schedules.get(&id).cloned();
                (
                    contract_id,
                    FundingLine {
                        id,
                        funding_stream_id,
                        financial_year,
                        amount: Money::from_pence(pence),
                        quarters,
                        profiled,
                    },
                )
            },
        )
        .collect())
}

/// The stated quarterly schedules of the contracts' lines, by line id.
fn schedules_of(
    conn: &mut DbConn,
    contract_ids: &[ContractId],
) -> Result<std::collections::HashMap<FundingLineId, Vec<QuarterShare>>, AppError> {
    let query = match contract_ids {
        [one] => flq::table
            .inner_join(fl::table)
            .filter(fl::contract_id.eq(one))
            .into_boxed(),
        many => flq::table
            .inner_join(fl::table)
            .filter(fl::contract_id.eq_any(many))
            .into_boxed(),
    };
    let rows: Vec<(FundingLineId, Quarter, i64)> = query
        .order((flq::funding_line_id, flq::quarter))
        .select((flq::funding_line_id, flq::quarter, flq::amount_pence))
        .load(conn)?;
    let mut schedules: std::collections::HashMap<FundingLineId, Vec<QuarterShare>> =
        std::collections::HashMap::new();
    for (line_id, quarter, pence) in rows {
        schedules.entry(line_id).or_default().push(QuarterShare {
            quarter,
            amount: Money::from_pence(pence),
        });
    }
    Ok(schedules)
}

fn paid_by_contract(
    conn: &mut DbConn,
    contract_ids: &[ContractId],
) -> Result<Vec<(ContractId, i64)>, AppError> {
    if let [one] = contract_ids {
        // `=` for one id: PostgreSQL re-plans `= ANY(...)` every time.
        let pence: Option<i64> = p::table
            .filter(p::contract_id.eq(one))
            .select(sum_pence(p::amount_pence))
            .get_result(conn)?;
        return Ok(pence.map(|p| (*one, p)).into_iter().collect());
    }
    let sums: Vec<(ContractId, Option<i64>)> = p::table
        .filter(p::contract_id.eq_any(contract_ids))
        .group_by(p::contract_id)
        .select((p::contract_id, sum_pence(p::amount_pence)))
        .load(conn)?;
    Ok(sums
        .into_iter()
        .map(|(id, pence)| (id, pence.unwrap_or(0)))
        .collect())
}

/// The contract as a read shows it, from its row, its funding lines and
/// what has been paid against it.
fn contract_from(
    row: ContractRow,
    funding_lines: Vec<FundingLine>,
    paid_pence: i64,
) -> Result<Contract, AppError> {
    let funded = Money::sum(funding_lines.iter().map(|l| l.amount))
        .map_err(crate::domain::funding_stream::overflow)?;
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
        paid: Money::from_pence(paid_pence),
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    })
}

fn assemble(conn: &mut DbConn, rows: Vec<ContractRow>) -> Result<Vec<Contract>, AppError> {
    let ids: Vec<ContractId> = rows.iter().map(|r| r.id).collect();
    let mut lines = lines_of(conn, &ids)?;
    let paid = paid_by_contract(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let (own, rest): (Vec<_>, Vec<_>) =
                lines.drain(..).partition(|(cid, _)| *cid == row.id);
            lines = rest;
            let funding_lines: Vec<FundingLine> = own.into_iter().map(|(_, line)| line).collect();
            let paid_pence = paid
                .iter()
                .find(|(cid, _)| *cid == row.id)
                .map_or(0, |(_, pence)| *pence);
            contract_from(row, funding_lines, paid_pence)
        })
        .collect()
}

/// A contract just written, as a read would show it: its row and lines as
/// the write left them (the caller has both), and what has been paid.
fn written(
    conn: &mut DbConn,
    row: ContractRow,
    funding_lines: Vec<FundingLine>,
) -> Result<Contract, AppError> {
    let paid_pence = paid_by_contract(conn, std::slice::from_ref(&row.id))?
        .into_iter()
        .map(|(_, pence)| pence)
        .sum();
    contract_from(row, funding_lines, paid_pence)
}

pub fn get(conn: &mut DbConn, scope: &Scope, id: ContractId) -> Result<Contract, AppError> {
    let row = load(conn, scope, id)?;
    let mut contracts = assemble(conn, vec![row])?;
    contracts.pop().ok_or(AppError::NotFound("contract"))
}

fn filtered<'a>(scope: &'a Scope, filter: &'a ContractFilter) -> c::BoxedQuery<'a, Backend> {
    let mut query = scoped(scope);
    if let Some(provider_id) = &filter.provider_id {
        query = query.filter(c::provider_id.eq(provider_id));
    }
    if let Some(status) = filter.status {
        query = query.filter(c::status.eq(status));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(c::kind.eq(kind));
    }
    if let Some(stream_id) = &filter.funding_stream_id {
        let funded_by = fl::table
            .filter(fl::funding_stream_id.eq(stream_id))
            .select(fl::contract_id);
        query = query.filter(c::id.eq_any(funded_by));
    }
    if let Some(year) = filter.financial_year {
        query = query
            .filter(c::start_date.le(year.end_date()))
            .filter(c::end_date.ge(year.start_date()));
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

fn require_provider(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    provider_id: ProviderId,
) -> Result<(), AppError> {
    let found = providers::table
        .filter(providers::id.eq(provider_id))
        .filter(providers::organisation_id.eq(organisation_id))
        .count()
        .get_result::<i64>(conn)?;
    if found == 0 {
        return Err(AppError::field("provider_id", "no such provider"));
    }
    Ok(())
}

/// Every line must name a stream of the organisation.
fn require_streams(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    field: &str,
    lines: &[FundingLineInput],
) -> Result<(), AppError> {
    let mut checks = Checks::new();
    for (i, line) in lines.iter().enumerate() {
        if !funding_streams::exists(conn, organisation_id, line.funding_stream_id)? {
            checks.fail(
                format!("{field}[{i}].funding_stream_id"),
                "no such funding stream",
            );
        }
    }
    Ok(checks.finish(())?)
}

/// The lines to store for `inputs` on a contract over `contract_period`,
/// a profiled line's pennies placed against what each stream's budget has
/// left (other awards' commitment; `contract_id`'s own is left out). The
/// streams are locked first, so the headroom read holds until commit.
fn plan(
    conn: &mut DbConn,
    contract_id: Option<ContractId>,
    contract_period: DateRange,
    inputs: &[FundingLineInput],
) -> Result<Vec<PlannedLine>, AppError> {
    let profiled: Vec<FundingStreamId> = inputs
        .iter()
        .filter(|l| l.financial_year.is_none())
        .map(|l| l.funding_stream_id)
        .collect();
    let mut headroom = std::collections::HashMap::new();
    if !profiled.is_empty() {
        lock_streams(conn, &profiled)?;
        for stream in &profiled {
            for year in contract_period.financial_years() {
                let budget = funding_streams::budget(conn, *stream, year)?;
                let committed = funding_streams::committed(conn, *stream, year, contract_id)?;
                let left = budget.checked_sub(committed).map_err(overflow)?;
                let profiled = profiled_awards(conn, *stream, year, contract_id)?;
                headroom.insert((*stream, year), Headroom { left, profiled });
            }
        }
    }
    Ok(plan_lines(contract_period, inputs, |stream, year| {
        headroom.get(&(stream, year)).copied()
    })?)
}

/// How many awarded contracts have a profiled line on the stream and year
/// (`contract_id`'s own left out).
fn profiled_awards(
    conn: &mut DbConn,
    stream_id: FundingStreamId,
    year: FinancialYear,
    contract_id: Option<ContractId>,
) -> Result<u32, AppError> {
    let mut query = fl::table
        .inner_join(c::table)
        .filter(fl::funding_stream_id.eq(stream_id))
        .filter(fl::financial_year.eq(year))
        .filter(fl::profiled.eq(true))
        .filter(c::status.ne(ContractStatus::Draft))
        .into_boxed();
    if let Some(id) = contract_id {
        query = query.filter(c::id.ne(id));
    }
    let count = query.count().get_result::<i64>(conn)?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

/// Adds the lines to the contract and returns them as written, in the
/// order given (a read orders them by year and stream).
fn insert_lines(
    conn: &mut DbConn,
    contract_id: ContractId,
    lines: &[PlannedLine],
) -> Result<Vec<FundingLine>, AppError> {
    let at = now();
    let mut written = Vec::with_capacity(lines.len());
    for line in lines {
        let id = FundingLineId::new();
        diesel::insert_into(fl::table)
            .values((
                fl::id.eq(&id),
                fl::contract_id.eq(contract_id),
                fl::funding_stream_id.eq(&line.funding_stream_id),
                fl::financial_year.eq(line.financial_year),
                fl::amount_pence.eq(line.amount.pence()),
                fl::created_at.eq(at),
                fl::profiled.eq(line.profiled),
            ))
            .execute(conn)?;
        if let Some(quarters) = &line.quarters {
            write_schedule(conn, id, quarters)?;
        }
        written.push(FundingLine {
            id,
            funding_stream_id: line.funding_stream_id,
            financial_year: line.financial_year,
            amount: line.amount,
            quarters: line.quarters.clone(),
            profiled: line.profiled,
        });
    }
    Ok(written)
}

/// Replaces a line's stated quarterly schedule.
fn write_schedule(
    conn: &mut DbConn,
    line_id: FundingLineId,
    quarters: &[QuarterShare],
) -> Result<(), AppError> {
    diesel::delete(flq::table.filter(flq::funding_line_id.eq(line_id))).execute(conn)?;
    for share in quarters {
        diesel::insert_into(flq::table)
            .values((
                flq::funding_line_id.eq(line_id),
                flq::quarter.eq(share.quarter),
                flq::amount_pence.eq(share.amount.pence()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Re-places the pennies of a contract's profiled lines against what each
/// stream's budget has left now (at its award, others may have been
/// awarded since it was drafted). Each stream's total is kept, and no year
/// moves by more than a penny from its exact share.
fn replace_profiled_pennies(
    conn: &mut DbConn,
    row: &ContractRow,
    lines: Vec<FundingLine>,
) -> Result<Vec<FundingLine>, AppError> {
    let mut streams: Vec<FundingStreamId> = lines
        .iter()
        .filter(|l| l.profiled)
        .map(|l| l.funding_stream_id)
        .collect();
    streams.sort();
    streams.dedup();
    if streams.is_empty() {
        return Ok(lines);
    }
    let contract_period = period(row.start_date, row.end_date)?;
    let inputs: Vec<FundingLineInput> = streams
        .iter()
        .map(|stream| {
            let total = Money::sum(
                lines
                    .iter()
                    .filter(|l| l.profiled && l.funding_stream_id == *stream)
                    .map(|l| l.amount),
            );
            total.map(|amount| FundingLineInput {
                funding_stream_id: *stream,
                financial_year: None,
                amount,
                quarters: None,
            })
        })
        .collect::<Result<_, _>>()
        .map_err(overflow)?;
    let replanned = plan(conn, Some(row.id), contract_period, &inputs)?;
    let mut changed = false;
    for line in lines.iter().filter(|l| l.profiled) {
        let again = replanned.iter().find(|p| {
            p.funding_stream_id == line.funding_stream_id && p.financial_year == line.financial_year
        });
        if let Some(again) = again.filter(|p| p.amount != line.amount) {
            diesel::update(fl::table.find(&line.id))
                .set(fl::amount_pence.eq(again.amount.pence()))
                .execute(conn)?;
            changed = true;
        }
    }
    if changed {
        lines_of_one(conn, row.id)
    } else {
        Ok(lines)
    }
}

pub fn create(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    input: NewContract,
) -> Result<Contract, AppError> {
    require_provider(conn, organisation_id, input.provider_id)?;
    require_streams(conn, organisation_id, "funding_lines", &input.funding_lines)?;
    let planned = plan(conn, None, input.period()?, &input.funding_lines)?;
    let id = ContractId::new();
    let at = now();
    diesel::insert_into(c::table)
        .values((
            c::id.eq(&id),
            c::organisation_id.eq(organisation_id),
            c::provider_id.eq(&input.provider_id),
            c::kind.eq(input.kind),
            c::reference.eq(&input.reference),
            c::title.eq(&input.title),
            c::purpose.eq(&input.purpose),
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
    insert_lines(conn, id, &planned)?;
    get(conn, &Scope::organisation(organisation_id), id)
}

/// A contract's funding lines, in the order a read shows them.
fn lines_of_one(conn: &mut DbConn, id: ContractId) -> Result<Vec<FundingLine>, AppError> {
    Ok(lines_of(conn, &[id.to_owned()])?
        .into_iter()
        .map(|(_, line)| line)
        .collect())
}

pub fn update(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    id: ContractId,
    changes: ValidContractChanges,
) -> Result<Contract, AppError> {
    let scope = Scope::organisation(organisation_id);
    let row = load(conn, &scope, id)?;
    check_draft(row.status, DraftChange::Edit)?;
    if let Some(provider_id) = changes.provider_id {
        require_provider(conn, organisation_id, provider_id)?;
    }
    let terms = changes.apply(row.terms());
    let lines = lines_of_one(conn, id)?;
    check_lines_within(&lines, period(terms.start_date, terms.end_date)?)?;
    let at = now();
    diesel::update(c::table.find(id))
        .set((
            c::provider_id.eq(&terms.provider_id),
            c::kind.eq(terms.kind),
            c::reference.eq(&terms.reference),
            c::title.eq(&terms.title),
            c::purpose.eq(&terms.purpose),
            c::start_date.eq(terms.start_date),
            c::end_date.eq(terms.end_date),
            c::value_pence.eq(terms.value.pence()),
            c::return_due_rule.eq(DueRule::fields(terms.return_due).0),
            c::return_due_days.eq(DueRule::fields(terms.return_due).1),
            c::updated_at.eq(at),
        ))
        .execute(conn)?;
    let updated = ContractRow {
        provider_id: terms.provider_id,
        kind: terms.kind,
        reference: terms.reference,
        title: terms.title,
        purpose: terms.purpose,
        start_date: terms.start_date,
        end_date: terms.end_date,
        value_pence: terms.value.pence(),
        return_due_rule: DueRule::fields(terms.return_due).0,
        return_due_days: DueRule::fields(terms.return_due).1,
        updated_at: at,
        ..row
    };
    written(conn, updated, lines)
}

pub fn delete(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    id: ContractId,
) -> Result<(), AppError> {
    let row = load(conn, &Scope::organisation(organisation_id), id)?;
    check_draft(row.status, DraftChange::Delete)?;
    diesel::delete(fl::table.filter(fl::contract_id.eq(id))).execute(conn)?;
    diesel::delete(c::table.find(id)).execute(conn)?;
    Ok(())
}

pub fn list_lines(
    conn: &mut DbConn,
    scope: &Scope,
    id: ContractId,
) -> Result<Vec<FundingLine>, AppError> {
    load(conn, scope, id)?;
    lines_of_one(conn, id)
}

pub fn add_line(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    id: ContractId,
    line: FundingLineInput,
) -> Result<FundingLine, AppError> {
    let row = load(conn, &Scope::organisation(organisation_id), id)?;
    check_draft(row.status, DraftChange::AddLine)?;
    check_new_line(&line, period(row.start_date, row.end_date)?)?;
    if !funding_streams::exists(conn, organisation_id, line.funding_stream_id)? {
        return Err(AppError::field(
            "funding_stream_id",
            "no such funding stream",
        ));
    }
    check_line_is_new(&lines_of_one(conn, id)?, &line)?;
    let planned = plan(
        conn,
        Some(id),
        period(row.start_date, row.end_date)?,
        &[line],
    )?;
    insert_lines(conn, id, &planned)?
        .pop()
        .ok_or(AppError::NotFound("funding line"))
}

fn load_line(
    conn: &mut DbConn,
    contract_id: ContractId,
    line_id: FundingLineId,
) -> Result<FundingLine, AppError> {
    lines_of_one(conn, contract_id)?
        .into_iter()
        .find(|line| line.id == line_id)
        .ok_or(AppError::NotFound("funding line"))
}

pub fn update_line(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    id: ContractId,
    line_id: FundingLineId,
    amount: Money,
) -> Result<FundingLine, AppError> {
    let row = load(conn, &Scope::organisation(organisation_id), id)?;
    let line = load_line(conn, id, line_id)?;
    check_draft(row.status, DraftChange::ChangeLine)?;
    check_line_amount(amount)?;
    if line.quarters.is_some() {
        return Err(AppError::field(
            "amount",
            "the line states its quarters, which would no longer sum to it; \
             remove the line and add it again with its new schedule",
        ));
    }
    // An amount set by hand is no longer the service's profile.
    diesel::update(fl::table.find(line_id))
        .set((fl::amount_pence.eq(amount.pence()), fl::profiled.eq(false)))
        .execute(conn)?;
    Ok(FundingLine {
        amount,
        profiled: false,
        ..line
    })
}

pub fn delete_line(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    id: ContractId,
    line_id: FundingLineId,
) -> Result<(), AppError> {
    let row = load(conn, &Scope::organisation(organisation_id), id)?;
    load_line(conn, id, line_id)?;
    check_draft(row.status, DraftChange::RemoveLine)?;
    diesel::delete(fl::table.find(line_id)).execute(conn)?;
    Ok(())
}

fn award_lines(lines: &[FundingLine]) -> Vec<(FundingStreamId, FinancialYear, Money)> {
    lines
        .iter()
        .map(|l| (l.funding_stream_id, l.financial_year, l.amount))
        .collect()
}

struct HistoryEntry<'a> {
    kind: VariationKind,
    before: &'a ContractRow,
    value_after: Money,
    end_date_after: NaiveDate,
    status_after: ContractStatus,
    reason: &'a str,
    decision_reference: Option<&'a str>,
    recorded_by: &'a str,
}

fn record_history(conn: &mut DbConn, entry: HistoryEntry<'_>) -> Result<(), AppError> {
    diesel::insert_into(cv::table)
        .values((
            cv::id.eq(VariationId::new()),
            cv::contract_id.eq(&entry.before.id),
            cv::kind.eq(entry.kind),
            cv::value_before_pence.eq(entry.before.value_pence),
            cv::value_after_pence.eq(entry.value_after.pence()),
            cv::end_date_before.eq(entry.before.end_date),
            cv::end_date_after.eq(entry.end_date_after),
            cv::status_before.eq(entry.before.status),
            cv::status_after.eq(entry.status_after),
            cv::reason.eq(entry.reason),
            cv::decision_reference.eq(entry.decision_reference),
            cv::recorded_by.eq(entry.recorded_by),
            cv::recorded_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Moves a contract along draft → active → ended | terminated. Activation
/// commits its funding lines: they must sum to the value and fit within
/// every stream's budget for their year.
pub fn change_status(
    conn: &mut DbConn,
    actor: &Actor,
    id: ContractId,
    change: StatusChange,
) -> Result<Contract, AppError> {
    let organisation_id = actor.organisation_id;
    let recorded_by = actor.subject.as_str();
    let row = load(conn, &Scope::organisation(organisation_id), id)?;
    let valid = change.validate(row.status, row.start_date, row.end_date)?;
    let mut lines = lines_of_one(conn, id)?;
    let mut row = row;
    if valid.kind == VariationKind::Activation {
        lines = replace_profiled_pennies(conn, &row, lines)?;
        let amounts: Vec<Money> = lines.iter().map(|l| l.amount).collect();
        check_fully_funded(row.value(), &amounts)?;
        check_award(conn, &award_lines(&lines), Some(id))?;
    } else if valid.release {
        (row, lines) = release_after(conn, actor, row, lines, &valid)?;
    } else {
        check_early_end(&lines, row.start_date, row.end_date, valid.end_date)?;
    }
    let at = now();
    diesel::update(c::table.find(id))
        .set((
            c::status.eq(valid.status),
            c::end_date.eq(valid.end_date),
            c::updated_at.eq(at),
        ))
        .execute(conn)?;
    record_history(
        conn,
        HistoryEntry {
            kind: valid.kind,
            before: &row,
            value_after: row.value(),
            end_date_after: valid.end_date,
            status_after: valid.status,
            reason: &valid.reason,
            decision_reference: valid.decision_reference.as_deref(),
            recorded_by,
        },
    )?;
    let updated = ContractRow {
        status: valid.status,
        end_date: valid.end_date,
        updated_at: at,
        ..row
    };
    commitments::refresh(conn, &updated, &lines)?;
    written(conn, updated, lines)
}

/// Ends the service on `valid.end_date` and releases the commitment after
/// it: each line keeps what its profile commits up to that day (a line left
/// with nothing is removed), the value becomes their sum, and a variation
/// records it before the ending does. Returns the contract and lines as
/// they then stand (still active: the caller ends it).
fn release_after(
    conn: &mut DbConn,
    actor: &Actor,
    row: ContractRow,
    lines: Vec<FundingLine>,
    valid: &ValidStatusChange,
) -> Result<(ContractRow, Vec<FundingLine>), AppError> {
    let contract_period = period(row.start_date, row.end_date)?;
    let parts = commitments::parts_of(conn, &row, &lines)?;
    let kept_by_quarter = kept_parts(&parts, contract_period, valid.end_date).map_err(overflow)?;
    let kept = kept_until(&parts, contract_period, valid.end_date).map_err(overflow)?;
    let kept_total = Money::sum(kept.iter().map(|(_, m)| *m)).map_err(overflow)?;
    check_release_covers_paid(kept_total, paid_on_contract(conn, row.id)?)?;
    if kept_total.pence() <= 0 {
        return Err(AppError::field(
            "effective_date",
            "nothing would be left committed; end the contract on a later date",
        ));
    }
    for (line_id, amount) in &kept {
        if amount.pence() > 0 {
            diesel::update(fl::table.find(line_id))
                .set(fl::amount_pence.eq(amount.pence()))
                .execute(conn)?;
            // A stated schedule keeps the quarters served.
            if lines
                .iter()
                .any(|l| l.id == *line_id && l.quarters.is_some())
            {
                let schedule: Vec<QuarterShare> = kept_by_quarter
                    .iter()
                    .filter(|p| p.funding_line_id == *line_id)
                    .map(|p| QuarterShare {
                        quarter: p.quarter,
                        amount: p.amount,
                    })
                    .collect();
                write_schedule(conn, *line_id, &schedule)?;
            }
        } else {
            diesel::delete(fl::table.find(line_id)).execute(conn)?;
        }
    }
    let at = now();
    diesel::update(c::table.find(&row.id))
        .set((
            c::value_pence.eq(kept_total.pence()),
            c::end_date.eq(valid.end_date),
            c::updated_at.eq(at),
        ))
        .execute(conn)?;
    record_history(
        conn,
        HistoryEntry {
            kind: VariationKind::Variation,
            before: &row,
            value_after: kept_total,
            end_date_after: valid.end_date,
            status_after: row.status,
            reason: &valid.reason,
            decision_reference: valid.decision_reference.as_deref(),
            recorded_by: &actor.subject,
        },
    )?;
    let row = ContractRow {
        value_pence: kept_total.pence(),
        end_date: valid.end_date,
        updated_at: at,
        ..row
    };
    Ok((row.clone(), lines_of_one(conn, row.id)?))
}

/// Net payments against a contract (reversals subtract).
fn paid_on_contract(conn: &mut DbConn, id: ContractId) -> Result<Money, AppError> {
    Ok(Money::from_pence(
        p::table
            .filter(p::contract_id.eq(id))
            .select(sum_pence(p::amount_pence))
            .get_result::<Option<i64>>(conn)?
            .unwrap_or(0),
    ))
}

/// Varies an active contract's value, end date or funding split, keeping
/// its lines equal to its value and within every stream's budget.
pub fn vary(
    conn: &mut DbConn,
    actor: &Actor,
    id: ContractId,
    variation: NewVariation,
) -> Result<Contract, AppError> {
    let organisation_id = actor.organisation_id;
    let recorded_by = actor.subject.as_str();
    let row = load(conn, &Scope::organisation(organisation_id), id)?;
    let valid = variation.validate(row.status, row.start_date, row.value(), row.end_date)?;
    if matches!(
        row.status,
        ContractStatus::Ended | ContractStatus::Terminated
    ) {
        let adjusted = cv::table
            .filter(cv::contract_id.eq(id))
            .filter(cv::kind.eq(VariationKind::Variation))
            .filter(cv::status_before.eq_any([ContractStatus::Ended, ContractStatus::Terminated]))
            .count()
            .get_result::<i64>(conn)?;
        check_closing_adjustment(
            adjusted > 0,
            &valid,
            row.value(),
            row.end_date,
            paid_on_contract(conn, id)?,
        )?;
    }
    let lines = match &valid.funding_lines {
        Some(new_lines) => {
            require_streams(conn, organisation_id, "funding_lines", new_lines)?;
            let planned = plan(
                conn,
                Some(id),
                period(row.start_date, valid.end_date)?,
                new_lines,
            )?;
            let award: Vec<_> = planned
                .iter()
                .map(|l| (l.funding_stream_id, l.financial_year, l.amount))
                .collect();
            check_award(conn, &award, Some(id))?;
            diesel::delete(fl::table.filter(fl::contract_id.eq(id))).execute(conn)?;
            insert_lines(conn, id, &planned)?;
            // Read back once, in the order a read shows them.
            lines_of_one(conn, id)?
        }
        None => {
            let lines = lines_of_one(conn, id)?;
            check_lines_within(&lines, period(row.start_date, valid.end_date)?)?;
            lines
        }
    };
    let at = now();
    diesel::update(c::table.find(id))
        .set((
            c::value_pence.eq(valid.value.pence()),
            c::end_date.eq(valid.end_date),
            c::updated_at.eq(at),
        ))
        .execute(conn)?;
    record_history(
        conn,
        HistoryEntry {
            kind: VariationKind::Variation,
            before: &row,
            value_after: valid.value,
            end_date_after: valid.end_date,
            status_after: row.status,
            reason: &valid.reason,
            decision_reference: valid.decision_reference.as_deref(),
            recorded_by,
        },
    )?;
    let updated = ContractRow {
        value_pence: valid.value.pence(),
        end_date: valid.end_date,
        updated_at: at,
        ..row
    };
    commitments::refresh(conn, &updated, &lines)?;
    written(conn, updated, lines)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = cv)]
struct VariationRow {
    id: VariationId,
    kind: VariationKind,
    value_before_pence: i64,
    value_after_pence: i64,
    end_date_before: NaiveDate,
    end_date_after: NaiveDate,
    status_before: ContractStatus,
    status_after: ContractStatus,
    reason: String,
    decision_reference: Option<String>,
    recorded_by: String,
    recorded_at: NaiveDateTime,
}

pub fn list_variations(
    conn: &mut DbConn,
    scope: &Scope,
    id: ContractId,
) -> Result<Vec<Variation>, AppError> {
    load(conn, scope, id)?;
    let rows = cv::table
        .filter(cv::contract_id.eq(id))
        .order(cv::id)
        .select(VariationRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Variation {
            id: r.id,
            kind: r.kind,
            value_before: Money::from_pence(r.value_before_pence),
            value_after: Money::from_pence(r.value_after_pence),
            end_date_before: r.end_date_before,
            end_date_after: r.end_date_after,
            status_before: r.status_before,
            status_after: r.status_after,
            reason: r.reason,
            decision_reference: r.decision_reference,
            recorded_by: r.recorded_by,
            recorded_at: r.recorded_at.and_utc(),
        })
        .collect())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = p)]
struct PaymentRow {
    id: PaymentId,
    contract_id: ContractId,
    funding_stream_id: FundingStreamId,
    amount_pence: i64,
    paid_on: NaiveDate,
    financial_year: FinancialYear,
    quarter: Quarter,
    reference: Option<String>,
    recorded_by: String,
    created_at: NaiveDateTime,
    reverses_payment_id: Option<PaymentId>,
    reason: Option<String>,
}

impl PaymentRow {
    fn into_payment(self) -> Payment {
        Payment {
            financial_year: self.financial_year,
            quarter: self.quarter,
            id: self.id,
            contract_id: self.contract_id,
            funding_stream_id: self.funding_stream_id,
            amount: Money::from_pence(self.amount_pence),
            paid_on: self.paid_on,
            reference: self.reference,
            reverses_payment_id: self.reverses_payment_id,
            reversed_by_payment_id: None,
            reason: self.reason,
            recorded_by: self.recorded_by,
            created_at: self.created_at.and_utc(),
        }
    }
}

/// Each reversal's id against the payment it reverses.
fn link_reversals(mut payments: Vec<Payment>) -> Vec<Payment> {
    let reversals: Vec<(PaymentId, PaymentId)> = payments
        .iter()
        .filter_map(|p| p.reverses_payment_id.map(|of| (of, p.id)))
        .collect();
    for payment in &mut payments {
        payment.reversed_by_payment_id = reversals
            .iter()
            .find(|(of, _)| *of == payment.id)
            .map(|(_, by)| *by);
    }
    payments
}

/// Reverses a payment of the contract: a new entry of the opposite amount,
/// from the same stream, dated when the reversal is made. The payment
/// itself is never changed.
pub fn reverse_payment(
    conn: &mut DbConn,
    actor: &Actor,
    contract_id: ContractId,
    payment_id: PaymentId,
    reversal: NewReversal,
) -> Result<Payment, AppError> {
    load(
        conn,
        &Scope::organisation(actor.organisation_id),
        contract_id,
    )?;
    let original = p::table
        .filter(p::id.eq(payment_id))
        .filter(p::contract_id.eq(contract_id))
        .select(PaymentRow::as_select())
        .load(conn)?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound("payment"))?
        .into_payment();
    let already = p::table
        .filter(p::reverses_payment_id.eq(payment_id))
        .count()
        .get_result::<i64>(conn)?;
    check_reversible(&original, already > 0, reversal.reversed_on)?;
    let period = FiscalQuarter::containing(reversal.reversed_on);
    let id = PaymentId::new();
    diesel::insert_into(p::table)
        .values((
            p::id.eq(&id),
            p::contract_id.eq(contract_id),
            p::funding_stream_id.eq(&original.funding_stream_id),
            p::amount_pence.eq(-original.amount.pence()),
            p::paid_on.eq(reversal.reversed_on),
            p::financial_year.eq(period.year),
            p::quarter.eq(period.quarter),
            p::reference.eq(&reversal.reference),
            p::recorded_by.eq(&actor.subject),
            p::created_at.eq(now()),
            p::reverses_payment_id.eq(payment_id),
            p::reason.eq(&reversal.reason),
        ))
        .execute(conn)?;
    Ok(p::table
        .find(&id)
        .select(PaymentRow::as_select())
        .get_result::<PaymentRow>(conn)?
        .into_payment())
}

/// Records a payment against an awarded contract. Payments may not exceed
/// the contract's value, and are paid from one of the streams funding it.
pub fn record_payment(
    conn: &mut DbConn,
    actor: &Actor,
    id: ContractId,
    payment: NewPayment,
) -> Result<Payment, AppError> {
    let organisation_id = actor.organisation_id;
    let recorded_by = actor.subject.as_str();
    let row = load(conn, &Scope::organisation(organisation_id), id)?;
    check_payable(row.status)?;
    let stream_id = paying_stream(payment.funding_stream_id, &lines_of_one(conn, id)?)?;
    let paid = paid_on_contract(conn, id)?;
    check_payment_within_value(row.value(), paid, payment.amount)?;
    let period = FiscalQuarter::containing(payment.paid_on);
    let payment_id = PaymentId::new();
    diesel::insert_into(p::table)
        .values((
            p::id.eq(&payment_id),
            p::contract_id.eq(id),
            p::funding_stream_id.eq(&stream_id),
            p::amount_pence.eq(payment.amount.pence()),
            p::paid_on.eq(payment.paid_on),
            p::financial_year.eq(period.year),
            p::quarter.eq(period.quarter),
            p::reference.eq(&payment.reference),
            p::recorded_by.eq(recorded_by),
            p::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(p::table
        .find(&payment_id)
        .select(PaymentRow::as_select())
        .get_result::<PaymentRow>(conn)?
        .into_payment())
}

pub fn list_payments(
    conn: &mut DbConn,
    scope: &Scope,
    id: ContractId,
) -> Result<Vec<Payment>, AppError> {
    load(conn, scope, id)?;
    let payments = p::table
        .filter(p::contract_id.eq(id))
        .order((p::paid_on, p::id))
        .select(PaymentRow::as_select())
        .load(conn)?
        .into_iter()
        .map(PaymentRow::into_payment)
        .collect();
    Ok(link_reversals(payments))
}
