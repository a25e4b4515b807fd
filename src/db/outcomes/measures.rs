//! Outcome measures: defined per stream or per contract, and those defined
//! for a contract and the streams funding it.

use crate::domain::id::{ContractId, FundingStreamId, MeasureId, OrganisationId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::Scope;
use crate::db::schema::{
    contracts as c, funding_lines as fl, outcome_measures as om, outcome_return_values as rv,
};
use crate::db::DbConn;
use crate::domain::checked::Checked;
use crate::domain::outcome::{DefinedMeasure, MeasureUnit, NewOutcomeMeasure, OutcomeMeasure};
use crate::error::AppError;

type Backend = <DbConn as diesel::Connection>::Backend;

#[derive(Queryable, Selectable)]
#[diesel(table_name = om)]
struct MeasureRow {
    id: MeasureId,
    funding_stream_id: Option<FundingStreamId>,
    contract_id: Option<ContractId>,
    code: String,
    label: String,
    unit: MeasureUnit,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    required: bool,
}

impl From<MeasureRow> for OutcomeMeasure {
    fn from(row: MeasureRow) -> OutcomeMeasure {
        OutcomeMeasure {
            id: row.id,
            funding_stream_id: row.funding_stream_id,
            contract_id: row.contract_id,
            code: row.code,
            label: row.label,
            unit: row.unit,
            required: row.required,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

/// A measure as a contract's reporting chooses among them: where it is
/// defined, and what it asks.
#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = om)]
pub(super) struct DefinedRow {
    id: MeasureId,
    pub(super) funding_stream_id: Option<FundingStreamId>,
    pub(super) contract_id: Option<ContractId>,
    pub(super) code: String,
    label: String,
    unit: MeasureUnit,
    required: bool,
}

impl From<DefinedRow> for DefinedMeasure {
    fn from(row: DefinedRow) -> DefinedMeasure {
        DefinedMeasure {
            id: row.id,
            contract_own: row.contract_id.is_some(),
            code: row.code,
            label: row.label,
            unit: row.unit,
            required: row.required,
        }
    }
}

/// Filters for `GET /outcome-measures`.
#[derive(Debug, Default, Clone)]
pub struct MeasureFilter {
    pub funding_stream_id: Option<FundingStreamId>,
    pub contract_id: Option<ContractId>,
}

/// Measures the scope can see. A provider sees those of its own contracts
/// and of the streams that fund them.
fn measures_in(scope: &Scope) -> om::BoxedQuery<'_, Backend> {
    let mut query = om::table
        .filter(om::organisation_id.eq(&scope.organisation_id))
        .into_boxed();
    if let Some(provider_id) = &scope.provider_id {
        let own_contracts = c::table
            .filter(c::provider_id.eq(provider_id))
            .select(c::id.nullable());
        let own_streams = fl::table
            .inner_join(c::table)
            .filter(c::provider_id.eq(provider_id))
            .select(fl::funding_stream_id.nullable());
        query = query.filter(
            om::contract_id
                .eq_any(own_contracts)
                .or(om::funding_stream_id.eq_any(own_streams)),
        );
    }
    query
}

fn measures_filtered<'a>(
    scope: &'a Scope,
    filter: &'a MeasureFilter,
) -> om::BoxedQuery<'a, Backend> {
    let mut query = measures_in(scope);
    if let Some(stream_id) = &filter.funding_stream_id {
        query = query.filter(om::funding_stream_id.eq(stream_id));
    }
    if let Some(contract_id) = &filter.contract_id {
        query = query.filter(om::contract_id.eq(contract_id));
    }
    query
}

pub fn get_measure(
    conn: &mut DbConn,
    scope: &Scope,
    id: MeasureId,
) -> Result<OutcomeMeasure, AppError> {
    measures_in(scope)
        .filter(om::id.eq(id))
        .select(MeasureRow::as_select())
        .load(conn)?
        .into_iter()
        .next()
        .map(OutcomeMeasure::from)
        .ok_or(AppError::NotFound("outcome measure"))
}

pub fn list_measures(
    conn: &mut DbConn,
    scope: &Scope,
    filter: &MeasureFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<OutcomeMeasure>, i64), AppError> {
    let total = measures_filtered(scope, filter)
        .count()
        .get_result::<i64>(conn)?;
    let rows = measures_filtered(scope, filter)
        .order(om::id)
        .limit(limit)
        .offset(offset)
        .select(MeasureRow::as_select())
        .load(conn)?;
    Ok((rows.into_iter().map(OutcomeMeasure::from).collect(), total))
}

/// Whether a measure with `input`'s code is already defined where `input`
/// would define it: on its funding stream, or on its contract.
pub fn measure_code_taken(
    conn: &mut DbConn,
    input: &Checked<NewOutcomeMeasure>,
) -> Result<bool, AppError> {
    let mut same_code = om::table
        .filter(om::code.eq(input.code.as_str()))
        .into_boxed();
    if let Some(stream_id) = input.funding_stream_id {
        same_code = same_code.filter(om::funding_stream_id.eq(stream_id));
    }
    if let Some(contract_id) = input.contract_id {
        same_code = same_code.filter(om::contract_id.eq(contract_id));
    }
    Ok(same_code.count().get_result::<i64>(conn)? > 0)
}

pub fn insert_measure(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    id: MeasureId,
    input: &Checked<NewOutcomeMeasure>,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(om::table)
        .values((
            om::id.eq(&id),
            om::organisation_id.eq(organisation_id),
            om::funding_stream_id.eq(&input.funding_stream_id),
            om::contract_id.eq(&input.contract_id),
            om::code.eq(input.code.as_str()),
            om::label.eq(input.label.as_str()),
            om::unit.eq(input.unit),
            om::required.eq(input.required),
            om::created_at.eq(at),
            om::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether any return holds a value for the measure.
pub fn measure_holds_values(conn: &mut DbConn, id: MeasureId) -> Result<bool, AppError> {
    let used = rv::table
        .filter(rv::outcome_measure_id.eq(id))
        .count()
        .get_result::<i64>(conn)?;
    Ok(used > 0)
}

/// Writes the measure's label, unit and required flag as `measure` has
/// them, changed at `at`.
pub fn set_measure(
    conn: &mut DbConn,
    measure: &OutcomeMeasure,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(om::table.find(measure.id))
        .set((
            om::label.eq(&measure.label),
            om::unit.eq(measure.unit),
            om::required.eq(measure.required),
            om::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete_measure(conn: &mut DbConn, id: MeasureId) -> Result<(), AppError> {
    diesel::delete(om::table.find(id)).execute(conn)?;
    Ok(())
}

/// The measures defined for a contract and for the streams funding it, in
/// the order they were defined (which of them it reports is the domain's
/// `applicable_measures`).
pub fn measures_defined_for(
    conn: &mut DbConn,
    contract_id: ContractId,
) -> Result<Vec<DefinedMeasure>, AppError> {
    let streams = fl::table
        .filter(fl::contract_id.eq(contract_id))
        .select(fl::funding_stream_id.nullable());
    let rows: Vec<DefinedRow> = om::table
        .filter(
            om::contract_id
                .eq(contract_id)
                .or(om::funding_stream_id.eq_any(streams)),
        )
        .order(om::id)
        .select(DefinedRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(DefinedMeasure::from).collect())
}

/// The measures with these ids, by code.
pub fn measures_by_code(
    conn: &mut DbConn,
    ids: &[MeasureId],
) -> Result<Vec<OutcomeMeasure>, AppError> {
    Ok(om::table
        .filter(om::id.eq_any(ids))
        .order(om::code)
        .select(MeasureRow::as_select())
        .load(conn)?
        .into_iter()
        .map(OutcomeMeasure::from)
        .collect())
}
