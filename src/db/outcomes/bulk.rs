//! Returns loaded and written many at a time, for an import: the measures
//! each contract reports, the returns it already has, and new returns,
//! values and versions inserted in batches. What is written is what the
//! one-at-a-time functions in `returns.rs` write.

use crate::domain::id::{
    ContractId, FundingStreamId, MeasureId, OrganisationId, ReturnId, ReturnVersionId,
};
use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::due::due_rules_for;
use super::measures::DefinedRow;
use super::returns::ReturnRow;
use crate::auth::Actor;
use crate::db::batch::{in_chunks, insert_each, LOOKUP};
use crate::db::schema::{
    funding_lines as fl, outcome_measures as om, outcome_return_values as rv,
    outcome_return_versions as rver, outcome_returns as r,
};
use crate::db::{lock_records, DbConn};
use crate::domain::due::DueRules;
use crate::domain::outcome::{
    applicable_measures, ApplicableMeasure, DefinedMeasure, MeasureUnit, MeasureValue,
    OutcomeReturn, ReturnEvent, ReturnStatus,
};
use crate::error::AppError;
use crate::fiscal::FiscalQuarter;

/// The measures each contract reports, and every code the organisation defines.
pub type MeasuresOfContracts = (HashMap<ContractId, Vec<ApplicableMeasure>>, Vec<String>);

/// The measures each contract reports (see `measures_of_contract`), and the
/// code of every measure the organisation defines.
pub fn measures_for_contracts(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    contract_ids: &[ContractId],
) -> Result<MeasuresOfContracts, AppError> {
    let streams: Vec<(ContractId, FundingStreamId)> = in_chunks(contract_ids, |chunk| {
        Ok(fl::table
            .filter(fl::contract_id.eq_any(chunk))
            .select((fl::contract_id, fl::funding_stream_id))
            .distinct()
            .load(conn)?)
    })?;
    let defined: Vec<DefinedRow> = om::table
        .filter(om::organisation_id.eq(organisation_id))
        .order(om::id)
        .select(DefinedRow::as_select())
        .load(conn)?;
    let mut codes: Vec<String> = defined.iter().map(|m| m.code.clone()).collect();
    codes.sort();
    codes.dedup();
    // Each contract's and each stream's measures, by position (= id order).
    let mut of_contract: HashMap<ContractId, Vec<usize>> = HashMap::new();
    let mut of_stream: HashMap<FundingStreamId, Vec<usize>> = HashMap::new();
    for (i, measure) in defined.iter().enumerate() {
        if let Some(contract) = measure.contract_id {
            of_contract.entry(contract).or_default().push(i);
        }
        if let Some(stream) = measure.funding_stream_id {
            of_stream.entry(stream).or_default().push(i);
        }
    }
    let mut streams_of: HashMap<ContractId, Vec<FundingStreamId>> = HashMap::new();
    for (contract, stream) in &streams {
        streams_of.entry(*contract).or_default().push(*stream);
    }
    let mut applicable = HashMap::new();
    for contract in contract_ids {
        let mut chosen: Vec<usize> = of_contract.get(contract).cloned().unwrap_or_default();
        for stream in streams_of.get(contract).into_iter().flatten() {
            chosen.extend(of_stream.get(stream).into_iter().flatten());
        }
        chosen.sort_unstable();
        chosen.dedup();
        let measures = chosen
            .into_iter()
            .map(|i| DefinedMeasure::from(defined[i].clone()))
            .collect();
        applicable.insert(*contract, applicable_measures(measures));
    }
    Ok((applicable, codes))
}

/// The rules that decide each contract's due dates.
pub fn due_rules(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    contract_ids: &[ContractId],
) -> Result<HashMap<ContractId, DueRules>, AppError> {
    let mut rules = HashMap::new();
    for chunk in contract_ids.chunks(LOOKUP) {
        rules.extend(due_rules_for(conn, organisation_id, chunk)?);
    }
    Ok(rules)
}

/// A return as stored: as a read shows it, its values by measure id, and
/// its latest version number.
#[derive(Debug, Clone)]
pub struct StoredReturn {
    pub shown: OutcomeReturn,
    pub values: HashMap<MeasureId, Option<i64>>,
    pub version: i32,
}

/// The contracts' returns, by (contract, year, quarter). On PostgreSQL each
/// is locked first, in id order, as a change to one locks it.
pub fn returns_of(
    conn: &mut DbConn,
    contract_ids: &[ContractId],
    rules: &HashMap<ContractId, DueRules>,
) -> Result<HashMap<(ContractId, FiscalQuarter), StoredReturn>, AppError> {
    if let DbConn::Postgres(_) = conn {
        let ids: Vec<ReturnId> = in_chunks(contract_ids, |chunk| {
            Ok(r::table
                .filter(r::contract_id.eq_any(chunk))
                .select(r::id)
                .load(conn)?)
        })?;
        lock_records(conn, &ids)?;
    }
    let rows: Vec<ReturnRow> = in_chunks(contract_ids, |chunk| {
        Ok(r::table
            .filter(r::contract_id.eq_any(chunk))
            .select(ReturnRow::as_select())
            .load(conn)?)
    })?;
    let ids: Vec<ReturnId> = rows.iter().map(|row| row.id).collect();
    type Value = (
        ReturnId,
        MeasureId,
        String,
        String,
        MeasureUnit,
        Option<i64>,
    );
    let values: Vec<Value> = in_chunks(&ids, |chunk| {
        Ok(rv::table
            .inner_join(om::table)
            .filter(rv::outcome_return_id.eq_any(chunk))
            .order((rv::outcome_return_id, om::code))
            .select((
                rv::outcome_return_id,
                rv::outcome_measure_id,
                om::code,
                om::label,
                om::unit,
                rv::value,
            ))
            .load(conn)?)
    })?;
    let versions: Vec<(ReturnId, Option<i32>)> = in_chunks(&ids, |chunk| {
        Ok(rver::table
            .filter(rver::outcome_return_id.eq_any(chunk))
            .group_by(rver::outcome_return_id)
            .select((rver::outcome_return_id, diesel::dsl::max(rver::version)))
            .load(conn)?)
    })?;
    let versions: HashMap<ReturnId, i32> = versions
        .into_iter()
        .map(|(id, version)| (id, version.unwrap_or(0)))
        .collect();
    let mut shown_values: HashMap<ReturnId, Vec<MeasureValue>> = HashMap::new();
    let mut stored_values: HashMap<ReturnId, HashMap<MeasureId, Option<i64>>> = HashMap::new();
    for (return_id, measure_id, code, label, unit, value) in values {
        shown_values
            .entry(return_id)
            .or_default()
            .push(MeasureValue {
                code,
                label,
                unit,
                value: unit.format_reported(value),
            });
        stored_values
            .entry(return_id)
            .or_default()
            .insert(measure_id, value);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let key = (row.contract_id, row.period());
            let id = row.id;
            let stored = StoredReturn {
                values: stored_values.remove(&id).unwrap_or_default(),
                version: versions.get(&id).copied().unwrap_or(0),
                shown: row.shown(rules, shown_values.remove(&id).unwrap_or_default()),
            };
            (key, stored)
        })
        .collect())
}

/// Inserts new returns (as they stand after the import), [`BATCH`](crate::db::batch::BATCH) to a
/// statement. `organisation_id` is every return's.
pub fn insert_returns(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    returns: &[&OutcomeReturn],
) -> Result<(), AppError> {
    insert_each!(conn, r::table, returns, |shown| {
        (
            r::id.eq(&shown.id),
            r::organisation_id.eq(organisation_id),
            r::contract_id.eq(&shown.contract_id),
            r::financial_year.eq(shown.financial_year),
            r::quarter.eq(shown.quarter),
            r::status.eq(shown.status),
            r::referrals.eq(shown.referrals),
            r::people_supported.eq(shown.people_supported),
            r::spend_pence.eq(shown.spend.pence()),
            r::narrative.eq(&shown.narrative),
            r::created_at.eq(shown.created_at.naive_utc()),
            r::updated_at.eq(shown.updated_at.naive_utc()),
            r::query_comment.eq(&shown.query_comment),
            r::first_submitted_at.eq(shown.submitted_at.map(|t| t.naive_utc())),
            r::received_on.eq(shown.received_on),
        )
    })
}

/// Writes an existing return's figures and status as they stand now.
pub fn update_return(conn: &mut DbConn, shown: &OutcomeReturn) -> Result<(), AppError> {
    diesel::update(r::table.find(&shown.id))
        .set((
            r::status.eq(shown.status),
            r::referrals.eq(shown.referrals),
            r::people_supported.eq(shown.people_supported),
            r::spend_pence.eq(shown.spend.pence()),
            r::narrative.eq(&shown.narrative),
            r::query_comment.eq(&shown.query_comment),
            r::first_submitted_at.eq(shown.submitted_at.map(|t| t.naive_utc())),
            r::updated_at.eq(shown.updated_at.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// One measure value of a return: (return id, measure id, value).
pub type ValueRow = (ReturnId, MeasureId, Option<i64>);

/// Inserts the values of new returns, [`BATCH`](crate::db::batch::BATCH) to a statement.
pub fn insert_values(conn: &mut DbConn, values: &[ValueRow]) -> Result<(), AppError> {
    insert_each!(conn, rv::table, values, |(return_id, measure_id, value)| {
        (
            rv::outcome_return_id.eq(return_id),
            rv::outcome_measure_id.eq(measure_id),
            rv::value.eq(*value),
        )
    })
}

/// Sets values of an existing return, adding those it did not have.
pub fn set_values(conn: &mut DbConn, values: &[ValueRow]) -> Result<(), AppError> {
    for (return_id, measure_id, value) in values {
        let updated = diesel::update(rv::table.find((return_id, measure_id)))
            .set(rv::value.eq(value))
            .execute(conn)?;
        if updated == 0 {
            insert_values(conn, &[(*return_id, *measure_id, *value)])?;
        }
    }
    Ok(())
}

/// A step of a return's history, as `returns.rs` records each: `figures`
/// is the return as it stood after the event, as JSON.
pub struct NewVersion {
    pub return_id: ReturnId,
    pub version: i32,
    pub event: ReturnEvent,
    pub status: ReturnStatus,
    pub figures: String,
}

/// Inserts versions, [`BATCH`](crate::db::batch::BATCH) to a statement, each by `actor` at `at`.
pub fn insert_versions(
    conn: &mut DbConn,
    actor: &Actor,
    versions: &[NewVersion],
    at: NaiveDateTime,
) -> Result<(), AppError> {
    insert_each!(conn, rver::table, versions, |version| {
        (
            rver::id.eq(ReturnVersionId::new()),
            rver::outcome_return_id.eq(&version.return_id),
            rver::version.eq(version.version),
            rver::event.eq(version.event),
            rver::status.eq(version.status),
            rver::figures.eq(&version.figures),
            rver::comment.eq(None::<String>),
            rver::actor.eq(&actor.subject),
            rver::actor_role.eq(actor.role),
            rver::recorded_at.eq(at),
        )
    })
}
