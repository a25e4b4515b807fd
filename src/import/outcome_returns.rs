//! Quarterly outcome returns entered on providers' behalf (from paper, or
//! a provider's own spreadsheet), each found by its contract's reference,
//! year and quarter. After the fixed columns comes one column per measure
//! code; an empty cell is not reported (null), which is not zero.
//!
//! A row's `status` is how far the return has got: `draft`, `submitted` or
//! `accepted`. The import walks a return there through the same steps as by
//! hand — created, (amended,) submitted, accepted — with the same rules and
//! a version for each step; `received_on` dates a return received outside
//! the service, and lateness is judged by it. A re-imported row that says
//! what the return says is unchanged; a changed row may change a return
//! only while it is editable (a draft, or queried), as by hand.

use crate::domain::id::{ContractId, MeasureId, ReturnId};
use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::cells::{read_rows, while_writing, Cells, Problems};
use super::kind::{ImportKind, Kind, Run};
use super::rows::{RowOutcome, RowResult};
use super::table::{Columns, RowError, Table};
use super::NamedContracts;
use crate::auth::Permission;
use crate::db::batch::BATCH;
use crate::db::now;
use crate::db::outcomes::bulk::{self, NewVersion, StoredReturn, ValueRow};
use crate::domain::audit::ResourceType;
use crate::domain::field::{Code, Field};
use crate::domain::outcome::{
    check_received_on, check_required_values, check_return_quarter, ApplicableMeasure, MeasureUnit,
    MeasureValue, NewOutcomeReturn, OutcomeReturn, ReturnEvent, ReturnStatus,
};
use crate::domain::text_enum::text_enum;
use crate::error::{AppError, Conflict, ConflictCode};
use crate::fiscal::{FinancialYear, FiscalQuarter, Quarter};
use crate::money::Money;

/// How far a row says its return has got: the `status` column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Draft,
    Submitted,
    Accepted,
}

text_enum!(Stage {
    Draft => "draft",
    Submitted => "submitted",
    Accepted => "accepted",
});

impl Stage {
    /// Where a stored return is: a queried return is back with the
    /// provider, editable as a draft is; a resubmitted one awaits review.
    pub fn of(status: ReturnStatus) -> Stage {
        match status {
            ReturnStatus::Draft | ReturnStatus::Queried => Stage::Draft,
            ReturnStatus::Submitted | ReturnStatus::Resubmitted => Stage::Submitted,
            ReturnStatus::Accepted => Stage::Accepted,
        }
    }
}

#[derive(Debug, Clone)]
struct ReturnRow {
    row: u32,
    contract_reference: String,
    period: FiscalQuarter,
    referrals: Option<i64>,
    people_supported: Option<i64>,
    spend: Money,
    stage: Stage,
    received_on: Option<NaiveDate>,
    /// Each measure column's cell, in the order of the file's measure columns.
    measures: Vec<Option<String>>,
}

fn column_of(field: &str) -> Option<&'static str> {
    match field {
        "contract_id" => Some("contract_reference"),
        "financial_year" => Some("financial_year"),
        "quarter" => Some("quarter"),
        "referrals" => Some("referrals"),
        "people_supported" => Some("people_supported"),
        "spend" => Some("spend"),
        "received_on" => Some("received_on"),
        _ => None,
    }
}

/// The file's measure columns (every heading that is not a fixed column:
/// a measure's code), and its columns bound; a heading that cannot be a
/// code is refused.
fn bind(table: &Table) -> Result<(Columns, Vec<Code>), AppError> {
    let (fixed, _) = ImportKind::OutcomeReturns.columns();
    let header = table.header();
    let mut problems = Problems::new();
    let mut measures = Vec::new();
    for heading in header.names() {
        let fixed_column = fixed.iter().any(|f| f.eq_ignore_ascii_case(heading));
        if heading.is_empty() || fixed_column {
            continue;
        }
        if let Ok(code) = Code::parse(heading) {
            measures.push(code);
        } else {
            problems.row(
                header.number(),
                Some(heading),
                format!(
                    "{heading:?} is not a column this import reads: after its columns ({}), \
                     each column is headed by an outcome measure's code",
                    fixed.join(", ")
                ),
            );
        }
    }
    problems.finish()?;
    let optional: Vec<&str> = measures.iter().map(Code::as_str).collect();
    let columns = super::cells::bind(table, ImportKind::OutcomeReturns, &optional)?;
    Ok((columns, measures))
}

fn parse_row(cells: &mut Cells, measures: &[Code]) -> Result<Option<ReturnRow>, AppError> {
    let contract_reference = cells.required("contract_reference");
    let year = cells.year("financial_year");
    let quarter = cells.quarter("quarter");
    let referrals = cells.count("referrals");
    let people_supported = cells.count("people_supported");
    let spend = cells.money("spend", false).unwrap_or_default();
    let stage = cells.choice::<Stage>("status");
    let received_on = cells.date("received_on", false);
    let values: Vec<Option<String>> = measures
        .iter()
        .map(|code| cells.text(code.as_str()).map(str::to_owned))
        .collect();
    // The checks a return made by hand gets (of its figures: which year and
    // quarter it is for is checked against the contract later, so a refused
    // one stands in as any year here).
    let figures = NewOutcomeReturn {
        contract_id: ContractId::new(),
        financial_year: year.unwrap_or_else(|| FinancialYear::containing(NaiveDate::MIN)),
        quarter: quarter.unwrap_or(Quarter::Q1),
        referrals,
        people_supported,
        spend,
        narrative: None,
        values: Vec::new(),
        received_on,
    };
    let checked = cells.check(figures.check(), column_of)?;
    Ok(match (checked, contract_reference, year, quarter, stage) {
        (Some(_), Some(contract_reference), Some(year), Some(quarter), Some(stage)) => {
            Some(ReturnRow {
                row: cells.number(),
                contract_reference: contract_reference.to_owned(),
                period: FiscalQuarter { year, quarter },
                referrals: referrals.map(i64::from),
                people_supported: people_supported.map(i64::from),
                spend,
                stage,
                received_on,
                measures: values,
            })
        }
        _ => None,
    })
}

/// The rows that read well, the problems of the others and the file's
/// measure columns: a file gives a contract's quarter once (a second row
/// for it is left out).
fn parse(table: &Table) -> Result<(Vec<ReturnRow>, Problems, Vec<Code>), AppError> {
    let (columns, measures) = bind(table)?;
    let (mut rows, mut problems) = read_rows(table, &columns, |cells| parse_row(cells, &measures))?;
    let mut first: HashMap<(&str, FiscalQuarter), u32> = HashMap::new();
    let mut repeated = HashSet::new();
    for row in &rows {
        let earlier = *first
            .entry((row.contract_reference.as_str(), row.period))
            .or_insert(row.row);
        if earlier != row.row {
            repeated.insert(row.row);
            problems.row(
                row.row,
                Some("quarter"),
                format!(
                    "row {earlier} already gives contract {}'s return for {}",
                    row.contract_reference, row.period
                ),
            );
        }
    }
    rows.retain(|row| !repeated.contains(&row.row));
    Ok((rows, problems, measures))
}

/// A measure cell's value in the measure's unit; `None` when not reported.
fn measure_value(unit: MeasureUnit, text: Option<&str>) -> Result<Option<i64>, String> {
    let Some(text) = text else {
        return Ok(None);
    };
    let value = match unit {
        MeasureUnit::Count | MeasureUnit::People => text
            .parse::<u64>()
            .map(serde_json::Value::from)
            .unwrap_or_else(|_| serde_json::Value::String(text.to_owned())),
        MeasureUnit::Money => serde_json::Value::String(text.to_owned()),
    };
    unit.parse_reported(&value)
}

/// The row's measure values, by measure id, for the measures of its
/// contract that the file has a column for.
fn row_values(
    row: &ReturnRow,
    measures: &[Code],
    applicable: &[ApplicableMeasure],
    problems: &mut Problems,
) -> Option<Vec<(MeasureId, Option<i64>)>> {
    let mut values = Vec::new();
    let mut refused = false;
    for (code, cell) in measures.iter().zip(&row.measures) {
        let Some(measure) = applicable.iter().find(|m| m.code == code.as_str()) else {
            if cell.is_some() {
                problems.row(
                    row.row,
                    Some(code.as_str()),
                    format!(
                        "the measure {code} does not apply to contract {}",
                        row.contract_reference
                    ),
                );
                refused = true;
            }
            continue;
        };
        match measure_value(measure.unit, cell.as_deref()) {
            Ok(value) => values.push((measure.id, value)),
            Err(message) => {
                problems.row(row.row, Some(code.as_str()), message);
                refused = true;
            }
        }
    }
    (!refused).then_some(values)
}

/// The values a return shows, labelled and in code order, as a read shows
/// them: `shown` with `values` set.
fn with_values(
    mut shown: Vec<MeasureValue>,
    values: &[(MeasureId, Option<i64>)],
    applicable: &[ApplicableMeasure],
) -> Vec<MeasureValue> {
    for (measure_id, value) in values {
        let Some(measure) = applicable.iter().find(|m| m.id == *measure_id) else {
            continue;
        };
        let value = measure.unit.format_reported(*value);
        match shown.iter_mut().find(|v| v.code == measure.code) {
            Some(existing) => existing.value = value,
            None => shown.push(MeasureValue {
                code: measure.code.clone(),
                label: measure.label.clone(),
                unit: measure.unit,
                value,
            }),
        }
    }
    shown.sort_by(|a, b| a.code.cmp(&b.code));
    shown
}

/// A refusal by a submission's check that every required measure has a
/// value, each in its measure's column.
fn missing_values(
    row: u32,
    error: impl Into<AppError>,
    problems: &mut Problems,
) -> Result<(), AppError> {
    match error.into() {
        AppError::Validation(fields) => {
            for field in fields {
                let code = field.field.strip_prefix("values.").unwrap_or(&field.field);
                problems.add(RowError {
                    row,
                    column: Some(code.to_owned()),
                    message: field.message,
                });
            }
            Ok(())
        }
        other => problems.refused(row, other, column_of),
    }
}

/// A return the import creates, and how far it goes.
struct NewReturn {
    row: u32,
    shown: OutcomeReturn,
    values: Vec<(MeasureId, Option<i64>)>,
    stage: Stage,
}

/// A stored return the import moves on: as it will stand, the values it
/// sets, and the steps it records.
struct ChangedReturn {
    row: u32,
    shown: OutcomeReturn,
    values: Vec<(MeasureId, Option<i64>)>,
    steps: Vec<NewVersion>,
}

/// The steps from `shown` (as stored, at version `version`) to `target`,
/// each checked as by hand; `shown` ends as the return will stand.
fn walk(
    shown: &mut OutcomeReturn,
    mut version: i32,
    target: Stage,
    given: &[(MeasureId, Option<i64>)],
    applicable: &[ApplicableMeasure],
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<NewVersion>, AppError> {
    let mut steps = Vec::new();
    let mut record = |shown: &OutcomeReturn, event: ReturnEvent| -> Result<(), AppError> {
        version += 1;
        steps.push(NewVersion {
            return_id: shown.id,
            version,
            event,
            status: shown.status,
            figures: serde_json::to_string(shown)
                .map_err(|e| AppError::internal("cannot record version", e))?,
        });
        Ok(())
    };
    if Stage::of(shown.status) == Stage::Draft && target >= Stage::Submitted {
        let (status, event) = shown.status.submit()?;
        check_required_values(applicable, given)?;
        shown.status = status;
        shown.submitted_at = shown.submitted_at.or(Some(at));
        shown.updated_at = at;
        record(shown, event)?;
    }
    if Stage::of(shown.status) == Stage::Submitted && target == Stage::Accepted {
        shown.status = shown.status.review(ReturnEvent::Accepted)?;
        shown.updated_at = at;
        record(shown, ReturnEvent::Accepted)?;
    }
    Ok(steps)
}

/// The outcome returns import: a row per return, entered on providers'
/// behalf, matched by contract, year and quarter; after the fixed columns,
/// a column per measure code.
pub const KIND: Kind = Kind {
    permission: Permission::ImportReturns,
    resource: ResourceType::OutcomeReturn,
    required: &[
        "contract_reference",
        "financial_year",
        "quarter",
        "referrals",
        "people_supported",
        "spend",
        "status",
        "received_on",
    ],
    optional: &[],
    example: &[
        "VSS-2022-014",
        "2022-23",
        "Q1",
        "42",
        "35",
        "8726.03",
        "submitted",
        "2022-07-20",
    ],
    import,
};

pub fn import(run: Run<'_>) -> Result<Vec<RowResult>, AppError> {
    let (rows, mut problems, measures) = parse(run.table)?;
    let organisation_id = run.actor.organisation_id;
    let references = rows.iter().map(|r| r.contract_reference.clone());
    let contracts = NamedContracts::load(run.conn, organisation_id, references)?;
    let (applicable, codes) =
        bulk::measures_for_contracts(run.conn, organisation_id, &contracts.ids)?;
    let unknown: Vec<&str> = measures
        .iter()
        .map(Code::as_str)
        .filter(|code| codes.binary_search_by(|c| c.as_str().cmp(code)).is_err())
        .collect();
    if !unknown.is_empty() {
        // A column no measure has: the rows cannot be read.
        let mut header = Problems::new();
        for code in unknown {
            header.row(
                run.table.header().number(),
                Some(code),
                format!("no outcome measure has the code {code:?}"),
            );
        }
        return header.finish().map(|()| Vec::new());
    }
    let rules = bulk::due_rules(run.conn, organisation_id, &contracts.ids)?;
    let stored = bulk::returns_of(run.conn, &contracts.ids, &rules)?;

    let at = now().and_utc();
    let today = at.date_naive();
    let mut results = Vec::with_capacity(rows.len());
    let mut new: Vec<NewReturn> = Vec::new();
    let mut changed: Vec<ChangedReturn> = Vec::new();
    for row in &rows {
        let Some(contract) = contracts.named(row.row, &row.contract_reference, &mut problems)
        else {
            continue;
        };
        let measures_of = applicable
            .get(&contract.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let Some(values) = row_values(row, &measures, measures_of, &mut problems) else {
            continue;
        };
        match stored.get(&(contract.id, row.period)) {
            None => {
                let checks = check_return_quarter(
                    contract.status,
                    contract.start_date,
                    contract.end_date,
                    row.period,
                )
                .and_then(|()| check_received_on(row.received_on, false, row.period, today));
                if let Err(error) = checks {
                    problems.refused(row.row, error, column_of)?;
                    continue;
                }
                if row.stage >= Stage::Submitted {
                    if let Err(error) = check_required_values(measures_of, &values) {
                        missing_values(row.row, error, &mut problems)?;
                        continue;
                    }
                }
                let id = ReturnId::new();
                results.push(RowResult::new(row.row, RowOutcome::Created, id));
                let shown = OutcomeReturn {
                    id,
                    contract_id: contract.id,
                    financial_year: row.period.year,
                    quarter: row.period.quarter,
                    status: ReturnStatus::Draft,
                    referrals: row.referrals,
                    people_supported: row.people_supported,
                    spend: row.spend,
                    narrative: None,
                    values: with_values(Vec::new(), &values, measures_of),
                    due_date: rules
                        .get(&contract.id)
                        .cloned()
                        .unwrap_or_default()
                        .due_date(row.period),
                    submitted_at: None,
                    received_on: row.received_on,
                    query_comment: None,
                    created_at: at,
                    updated_at: at,
                };
                new.push(NewReturn {
                    row: row.row,
                    shown,
                    values,
                    stage: row.stage,
                });
            }
            Some(existing) => {
                let outcome = match change(existing, row, values, measures_of, at, &mut problems)? {
                    Change::Refused => continue,
                    Change::Unchanged => RowOutcome::Unchanged,
                    Change::Changed(change) => {
                        changed.push(*change);
                        RowOutcome::Updated
                    }
                };
                results.push(RowResult::new(row.row, outcome, existing.shown.id));
            }
        }
    }
    problems.finish()?;
    (run.progress)(results.len() - new.len() - changed.len());

    let written_at = at.naive_utc();
    for batch in new.chunks(BATCH) {
        let mut versions = Vec::with_capacity(batch.len() * 3);
        let mut shown: Vec<OutcomeReturn> = Vec::with_capacity(batch.len());
        let mut values: Vec<ValueRow> = Vec::new();
        for created in batch {
            let mut current = created.shown.clone();
            versions.push(NewVersion {
                return_id: current.id,
                version: 1,
                event: ReturnEvent::Created,
                status: current.status,
                figures: serde_json::to_string(&current)
                    .map_err(|e| AppError::internal("cannot record version", e))?,
            });
            let measures_of = applicable
                .get(&current.contract_id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            versions.extend(
                walk(
                    &mut current,
                    1,
                    created.stage,
                    &created.values,
                    measures_of,
                    at,
                )
                .map_err(|e| at_row(created.row, e))?,
            );
            values.extend(
                created
                    .values
                    .iter()
                    .map(|(measure, value)| (current.id, *measure, *value)),
            );
            shown.push(current);
        }
        let shown: Vec<&OutcomeReturn> = shown.iter().collect();
        let rows = || batch.iter().map(|created| created.row);
        bulk::insert_returns(run.conn, organisation_id, &shown).map_err(while_writing(rows()))?;
        bulk::insert_values(run.conn, &values).map_err(while_writing(rows()))?;
        bulk::insert_versions(run.conn, run.actor, &versions, written_at)?;
        (run.progress)(batch.len());
    }
    let mut versions: Vec<NewVersion> = Vec::new();
    for change in changed {
        let values: Vec<ValueRow> = change
            .values
            .iter()
            .map(|(measure, value)| (change.shown.id, *measure, *value))
            .collect();
        bulk::set_values(run.conn, &values).map_err(while_writing([change.row]))?;
        bulk::update_return(run.conn, &change.shown).map_err(while_writing([change.row]))?;
        versions.extend(change.steps);
        if versions.len() >= BATCH {
            bulk::insert_versions(run.conn, run.actor, &versions, written_at)?;
            versions.clear();
        }
        (run.progress)(1);
    }
    bulk::insert_versions(run.conn, run.actor, &versions, written_at)?;
    Ok(results)
}

/// A rule that refused a row only once it was being written (it was
/// checked before, so this is not expected): said with the row.
fn at_row(row: u32, error: impl Into<AppError>) -> AppError {
    match error.into() {
        AppError::Conflict(conflict) => AppError::Conflict(conflict.at(&format!("row {row}"))),
        AppError::Validation(_) => AppError::Conflict(Conflict::new(
            ConflictCode::ReturnNotSubmittable,
            format!(
                "row {row}: the return could not be submitted: a required measure has no value"
            ),
        )),
        other => other,
    }
}

/// What a row does to a stored return.
enum Change {
    Unchanged,
    Changed(Box<ChangedReturn>),
    /// The row's problems were added to the file's.
    Refused,
}

/// What a row changes in a stored return, each step checked as by hand.
fn change(
    existing: &StoredReturn,
    row: &ReturnRow,
    values: Vec<(MeasureId, Option<i64>)>,
    applicable: &[ApplicableMeasure],
    at: chrono::DateTime<chrono::Utc>,
    problems: &mut Problems,
) -> Result<Change, AppError> {
    let shown = &existing.shown;
    let mut refused = false;
    if shown.received_on != row.received_on {
        let was = shown
            .received_on
            .map_or("none".to_owned(), |day| day.to_string());
        problems.row(
            row.row,
            Some("received_on"),
            format!(
                "is recorded when a return is made and is not changed (this return's is {was})"
            ),
        );
        refused = true;
    }
    let current = Stage::of(shown.status);
    if row.stage < current {
        problems.row(
            row.row,
            Some("status"),
            format!(
                "the return is {}; it cannot go back to {}",
                shown.status.as_str(),
                row.stage.as_str()
            ),
        );
        refused = true;
    }
    let same_values = values
        .iter()
        .all(|(measure, value)| existing.values.get(measure).copied().flatten() == *value);
    let same = shown.referrals == row.referrals
        && shown.people_supported == row.people_supported
        && shown.spend == row.spend
        && same_values;
    if !same {
        if let Err(error) = shown.status.check_editable() {
            problems.row(
                row.row,
                None,
                format!("{error}, and the row's figures differ from it"),
            );
            refused = true;
        }
    }
    if refused {
        return Ok(Change::Refused);
    }
    if same && row.stage == current {
        return Ok(Change::Unchanged);
    }
    let mut updated = shown.clone();
    let mut version = existing.version;
    let mut steps = Vec::new();
    if !same {
        updated.referrals = row.referrals;
        updated.people_supported = row.people_supported;
        updated.spend = row.spend;
        updated.values = with_values(updated.values, &values, applicable);
        updated.updated_at = at;
        version += 1;
        steps.push(NewVersion {
            return_id: updated.id,
            version,
            event: ReturnEvent::Amended,
            status: updated.status,
            figures: serde_json::to_string(&updated)
                .map_err(|e| AppError::internal("cannot record version", e))?,
        });
    }
    // A submission needs every required measure: those stored, as the row
    // sets them.
    let mut given: Vec<(MeasureId, Option<i64>)> = existing
        .values
        .iter()
        .map(|(measure, value)| (*measure, *value))
        .collect();
    for (measure, value) in &values {
        match given.iter_mut().find(|(m, _)| m == measure) {
            Some(entry) => entry.1 = *value,
            None => given.push((*measure, *value)),
        }
    }
    match walk(&mut updated, version, row.stage, &given, applicable, at) {
        Ok(more) => steps.extend(more),
        Err(error) => {
            missing_values(row.row, error, problems)?;
            return Ok(Change::Refused);
        }
    }
    Ok(Change::Changed(Box::new(ChangedReturn {
        row: row.row,
        shown: updated,
        values,
        steps,
    })))
}
