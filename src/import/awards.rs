//! Awards: contracts and grants with their funding lines, one row per
//! funding line; rows with the same `reference` are one contract. `provider`
//! is a registered (charity or company) number or a provider's name (case
//! and spacing ignored). A single row may leave `financial_year` and
//! `amount` empty: its stream funds the whole value, profiled over the
//! contract's years by the service (see [`crate::domain::profile`]).
//! `status` `active` awards the contract: the lines must sum to the value
//! and fit every stream's budget, as an award made by hand.
//!
//! A contract is found again by its reference: a re-import of the same rows
//! leaves it unchanged; rows that differ from what is recorded are refused
//! (an awarded contract changes only by variation, through the API). An
//! ended or terminated contract is left as it is: it has moved on from the
//! file that awarded it.
//!
//! The whole file is checked in memory — budgets loaded once per stream and
//! year, awards placed one after another against what is left — and only
//! then written, in batches, so 100,000 rows take seconds, not hours.

use crate::domain::id::{ContractId, FundingLineId, FundingStreamId, ProviderId};
use std::collections::HashMap;

use chrono::NaiveDate;

use super::cells::{bind, read_rows, Cells, Problems};
use super::kind::{ImportKind, Kind, Run};
use super::rows::{RowOutcome, RowResult};
use super::{distinct, NamedContracts};
use crate::auth::Permission;
use crate::db::award_batches::{self, NewAward, StreamYear};
use crate::db::imports::{self, ReferencedContract};
use crate::domain::audit::ResourceType;
use crate::domain::contract::{
    check_fully_funded, period, plan_lines, ContractKind, ContractStatus, FundingLine,
    FundingLineInput, NewContract,
};
use crate::domain::field::{OrBlank, ShortText};
use crate::domain::funding_stream::{check_within_budget, overflow};
use crate::domain::profile::Headroom;
use crate::domain::provider::name_key;
use crate::error::AppError;
use crate::fiscal::FinancialYear;
use crate::money::Money;

/// The awards import: a row per funding line, the rows of one reference one
/// contract. Its example is a grant to the providers template's charity (by
/// its number) from the streams template's stream, part of one example year
/// (see [`ImportKind::template`]).
pub const KIND: Kind = Kind {
    permission: Permission::ImportAwards,
    resource: ResourceType::Contract,
    required: &[
        "reference",
        "provider",
        "kind",
        "title",
        "start_date",
        "end_date",
        "value",
        "funding_stream_code",
    ],
    optional: &["financial_year", "amount", "status"],
    example: &[
        "VSS-2022-014",
        "1150222",
        "grant",
        "Independent domestic violence advisers",
        "2022-04-01",
        "2023-03-31",
        "35000.00",
        "VSS",
        "2022-23",
        "35000.00",
        "active",
    ],
    import: import_awards,
};

/// One row: a funding line and the terms of its contract.
#[derive(Debug, Clone)]
struct AwardRow {
    row: u32,
    reference: ShortText,
    provider: String,
    kind: ContractKind,
    title: ShortText,
    start_date: NaiveDate,
    end_date: NaiveDate,
    value: Money,
    stream_code: String,
    financial_year: Option<FinancialYear>,
    amount: Option<Money>,
    status: ContractStatus,
}

impl AwardRow {
    /// The contract's own terms, which every row of it must repeat.
    fn terms(
        &self,
    ) -> (
        &str,
        ContractKind,
        &str,
        NaiveDate,
        NaiveDate,
        Money,
        ContractStatus,
    ) {
        (
            &self.provider,
            self.kind,
            self.title.as_str(),
            self.start_date,
            self.end_date,
            self.value,
            self.status,
        )
    }
}

fn parse_row(cells: &mut Cells) -> Option<AwardRow> {
    let reference = cells.field::<ShortText>("reference", true);
    let provider = cells.required("provider");
    let kind = cells.choice::<ContractKind>("kind");
    let title = cells.field::<ShortText>("title", true);
    let start_date = cells.date("start_date", true);
    let end_date = cells.date("end_date", true);
    let value = cells.money("value", true);
    let stream_code = cells.required("funding_stream_code");
    let financial_year = cells.parsed("financial_year", false, |text| {
        FinancialYear::parse(text).map_err(|e| e.to_string())
    });
    let amount = cells.money("amount", false);
    let status = match cells.text("status") {
        None | Some("draft") => Some(ContractStatus::Draft),
        Some("active") => Some(ContractStatus::Active),
        Some(_) => {
            cells.fail(
                Some("status"),
                "must be draft or active: an import creates contracts, or awards them",
            );
            None
        }
    };
    if financial_year.is_some() && amount.is_none() {
        cells.fail(
            Some("amount"),
            "is empty; a line for one financial year needs its amount",
        );
    }
    if kind.is_none() && cells.text("kind").is_none() {
        cells.fail(Some("kind"), "is empty; give contract or grant");
    }
    match (
        reference,
        provider,
        kind,
        title,
        start_date,
        end_date,
        value,
        stream_code,
        status,
    ) {
        (
            Some(reference),
            Some(provider),
            Some(kind),
            Some(title),
            Some(start_date),
            Some(end_date),
            Some(value),
            Some(stream_code),
            Some(status),
        ) => Some(AwardRow {
            row: cells.number(),
            reference,
            provider: provider.to_owned(),
            kind,
            title,
            start_date,
            end_date,
            value,
            stream_code: stream_code.to_owned(),
            financial_year,
            amount,
            status,
        }),
        _ => None,
    }
}

/// Where a domain rule's field is in the file.
fn column_of(field: &str) -> Option<&'static str> {
    let field = field.split('[').next().unwrap_or(field);
    match field {
        "reference" => Some("reference"),
        "title" => Some("title"),
        "start_date" => Some("start_date"),
        "end_date" => Some("end_date"),
        "value" => Some("value"),
        "status" => Some("status"),
        "funding_lines" => Some("amount"),
        _ => None,
    }
}

/// A contract of the file: its rows, in file order.
struct Group<'a> {
    rows: Vec<&'a AwardRow>,
}

impl Group<'_> {
    fn first(&self) -> &AwardRow {
        self.rows[0]
    }
}

/// The rows grouped by reference, in the order each reference first
/// appears; a row whose terms differ from its contract's first row is a
/// problem.
fn grouped<'a>(rows: &'a [AwardRow], problems: &mut Problems) -> Vec<Group<'a>> {
    let mut order: Vec<Group<'a>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for row in rows {
        match index.get(row.reference.as_str()) {
            Some(&i) => {
                let first = order[i].first();
                if row.terms() != first.terms() {
                    problems.row(
                        row.row,
                        None,
                        format!(
                            "gives contract {} other terms (provider, kind, title, dates, value \
                             or status) than row {}; every row of a contract repeats them",
                            row.reference, first.row
                        ),
                    );
                } else {
                    order[i].rows.push(row);
                }
            }
            None => {
                index.insert(row.reference.as_str(), order.len());
                order.push(Group { rows: vec![row] });
            }
        }
    }
    order
}

/// Finds providers by registered number, else by name.
struct Providers {
    by_number: HashMap<String, ProviderId>,
    by_name: HashMap<String, Vec<ProviderId>>,
}

impl Providers {
    fn find(&self, named: &str) -> Result<ProviderId, String> {
        let number = crate::domain::provider::normalise_number(named);
        if let Some(id) = self.by_number.get(&number) {
            return Ok(*id);
        }
        match self.by_name.get(&name_key(named)).map(Vec::as_slice) {
            Some([one]) => Ok(*one),
            Some(many) if !many.is_empty() => Err(format!(
                "{} providers are named {named}; name it by its charity or company number",
                many.len()
            )),
            _ => Err(format!(
                "no provider has the registered number or name {named}; import providers first"
            )),
        }
    }
}

pub fn import_awards(run: Run<'_>) -> Result<Vec<RowResult>, AppError> {
    let organisation_id = run.actor.organisation_id;
    let columns = bind(run.table, ImportKind::Awards, &[])?;
    let (rows, mut problems) = read_rows(run.table, &columns, |cells| Ok(parse_row(cells)))?;
    let groups = grouped(&rows, &mut problems);

    // What the rows name, each loaded once.
    let providers = {
        let all = crate::db::providers::all_locked(run.conn, organisation_id)?;
        let mut by_number = HashMap::new();
        let mut by_name: HashMap<String, Vec<ProviderId>> = HashMap::new();
        for p in all {
            for number in [&p.charity_number, &p.company_number].into_iter().flatten() {
                by_number.insert(number.clone(), p.id);
            }
            by_name.entry(name_key(&p.name)).or_default().push(p.id);
        }
        Providers { by_number, by_name }
    };
    let codes = distinct(rows.iter().map(|r| r.stream_code.clone()));
    let streams = imports::stream_ids_by_code(run.conn, organisation_id, &codes)?;
    let stream_ids: Vec<FundingStreamId> = streams.values().copied().collect();
    // Locked, so what is left of each budget holds until the import commits.
    let mut years: HashMap<(FundingStreamId, FinancialYear), StreamYear> =
        award_batches::stream_years(run.conn, &stream_ids)?;
    let references = groups.iter().map(|g| g.first().reference.to_string());
    let existing = NamedContracts::load(run.conn, organisation_id, references)?;
    let existing_lines = imports::funding_lines(run.conn, &existing.ids)?;

    let mut results = Vec::with_capacity(rows.len());
    let mut awards: Vec<NewAward> = Vec::new();
    for group in &groups {
        let first = group.first();
        let provider_id = match providers.find(&first.provider) {
            Ok(id) => id.to_owned(),
            Err(message) => {
                problems.row(first.row, Some("provider"), message);
                continue;
            }
        };
        let mut inputs = Vec::with_capacity(group.rows.len());
        let mut unknown_stream = false;
        for row in &group.rows {
            let Some(stream_id) = streams.get(&row.stream_code) else {
                problems.row(
                    row.row,
                    Some("funding_stream_code"),
                    format!("no funding stream has the code {}", row.stream_code),
                );
                unknown_stream = true;
                continue;
            };
            // An empty amount on a contract's only row: the stream funds it all.
            let amount = match (row.amount, group.rows.len()) {
                (Some(amount), _) => amount,
                (None, 1) => row.value,
                (None, _) => {
                    problems.row(
                        row.row,
                        Some("amount"),
                        "is empty; only a contract's single row may leave it empty, \
                         meaning its stream funds the whole value",
                    );
                    unknown_stream = true;
                    continue;
                }
            };
            inputs.push(FundingLineInput {
                funding_stream_id: *stream_id,
                financial_year: row.financial_year,
                amount,
                quarters: None,
            });
        }
        if unknown_stream {
            continue;
        }
        let contract = NewContract {
            provider_id,
            kind: first.kind,
            reference: Some(OrBlank::Value(first.reference.clone())),
            title: first.title.clone(),
            purpose: None,
            start_date: first.start_date,
            end_date: first.end_date,
            value: first.value,
            return_due_rule: None,
            return_due_days: None,
            funding_lines: inputs,
            status: Some(first.status),
        };
        let contract = match contract.check() {
            Ok(valid) => valid,
            Err(error) => {
                // A line's problem belongs to that line's row.
                for problem in super::cells::row_errors(first.row, error, column_of)? {
                    problems.add(problem);
                }
                continue;
            }
        };
        let contract_period = period(contract.start_date, contract.end_date)?;

        if let Some(found) = existing.by_reference.get(first.reference.as_str()) {
            match unchanged(found, &existing_lines, &contract) {
                Ok(id) => {
                    for row in &group.rows {
                        results.push(RowResult::new(row.row, RowOutcome::Unchanged, id));
                    }
                }
                Err(message) => problems.row(first.row, Some("reference"), message),
            }
            continue;
        }

        let planned = plan_lines(contract_period, &contract.funding_lines, |stream, year| {
            years.get(&(stream, year)).map(|y| Headroom {
                left: Money::from_pence(y.budget_pence.saturating_sub(y.committed_pence)),
                profiled: y.profiled,
            })
        })?;
        let awarded = contract.status == Some(ContractStatus::Active);
        if awarded {
            let amounts: Vec<Money> = planned.iter().map(|l| l.amount).collect();
            if let Err(error) = check_fully_funded(contract.value, &amounts) {
                problems.refused_at(first.row, "amount", error)?;
                continue;
            }
            let mut refused = false;
            for line in &planned {
                let year = years
                    .get(&(line.funding_stream_id, line.financial_year))
                    .copied()
                    .unwrap_or_default();
                if let Err(error) = check_within_budget(
                    line.funding_stream_id,
                    line.financial_year,
                    Money::from_pence(year.budget_pence),
                    Money::from_pence(year.committed_pence),
                    line.amount,
                ) {
                    let row = group
                        .rows
                        .iter()
                        .find(|r| r.financial_year == Some(line.financial_year))
                        .map_or(first.row, |r| r.row);
                    problems.refused_at(row, "amount", error)?;
                    refused = true;
                    break;
                }
            }
            if refused {
                continue;
            }
            // What this award commits is no longer left for the next.
            for line in &planned {
                let year = years
                    .entry((line.funding_stream_id, line.financial_year))
                    .or_default();
                year.committed_pence = year
                    .committed_pence
                    .checked_add(line.amount.pence())
                    .ok_or_else(|| overflow(crate::money::MoneyError::Overflow))?;
                if line.profiled {
                    year.profiled += 1;
                }
            }
        }
        let id = ContractId::new();
        let lines: Vec<FundingLine> = planned
            .into_iter()
            .map(|line| FundingLine {
                id: FundingLineId::new(),
                funding_stream_id: line.funding_stream_id,
                financial_year: line.financial_year,
                amount: line.amount,
                quarters: None,
                profiled: line.profiled,
            })
            .collect();
        for row in &group.rows {
            results.push(RowResult::new(row.row, RowOutcome::Created, id));
        }
        awards.push(NewAward {
            id,
            provider_id,
            contract,
            lines,
        });
    }
    problems.finish()?;
    (run.progress)(
        results
            .len()
            .saturating_sub(awards.iter().map(|a| a.lines.len()).sum()),
    );
    award_batches::insert(
        run.conn,
        organisation_id,
        &run.actor.subject,
        &awards,
        run.progress,
    )?;
    Ok(results)
}

/// A recorded contract a re-import leaves as it is: the same terms and,
/// line by line, the same funding (a profiled stream by its total). Else
/// why the rows cannot be imported.
fn unchanged(
    found: &[ReferencedContract],
    lines: &HashMap<ContractId, Vec<FundingLine>>,
    contract: &NewContract,
) -> Result<ContractId, String> {
    let [recorded] = found else {
        return Err(format!(
            "{} contracts already have this reference; give each its own",
            found.len()
        ));
    };
    // An ended or terminated contract has moved on from the file that
    // awarded it (ended early, closed down): a re-import leaves it be.
    if matches!(
        recorded.status,
        ContractStatus::Ended | ContractStatus::Terminated
    ) {
        return Ok(recorded.id);
    }
    let same_terms = recorded.start_date == contract.start_date
        && recorded.end_date == contract.end_date
        && recorded.value() == contract.value
        && (recorded.status == ContractStatus::Draft)
            == (contract.status != Some(ContractStatus::Active));
    let recorded_lines = lines
        .get(&recorded.id)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let same_lines = contract.funding_lines.iter().all(|input| {
        let of_stream = recorded_lines
            .iter()
            .filter(|l| l.funding_stream_id == input.funding_stream_id);
        match input.financial_year {
            Some(year) => of_stream
                .filter(|l| l.financial_year == year)
                .any(|l| l.amount == input.amount),
            None => Money::sum(of_stream.map(|l| l.amount)).is_ok_and(|sum| sum == input.amount),
        }
    }) && recorded_lines.len() >= contract.funding_lines.len();
    if same_terms && same_lines {
        Ok(recorded.id)
    } else {
        Err(format!(
            "a contract with reference {} is already recorded with other terms or funding; \
             an import does not change it (vary it, or edit the draft, through the API)",
            contract.reference().unwrap_or_default()
        ))
    }
}
