//! Funding streams and their budgets: one row per stream and financial
//! year. Rows with the same `code` are one stream, found by that code; each
//! row's year budget is created, updated or left as it is.

use crate::domain::id::FundingStreamId;
use std::collections::{HashMap, HashSet};

use super::cells::{bind, read_rows, while_writing, Cells, Problems};
use super::distinct;
use super::kind::{ImportKind, Kind, Run};
use super::rows::{RowOutcome, RowResult};
use super::table::Table;
use crate::auth::Permission;
use crate::db::batch::BATCH;
use crate::db::funding_streams::{self, BudgetFields, StreamFields};
use crate::db::now;
use crate::domain::audit::ResourceType;
use crate::domain::field::{Code, ShortText};
use crate::domain::funding_stream::{
    BudgetChange, BudgetInput, BudgetStatus, FundingStream, NewFundingStream,
};
use crate::error::AppError;
use crate::fiscal::FinancialYear;
use crate::money::Money;

/// One row, read and checked as a stream created by hand is.
#[derive(Debug, Clone)]
struct StreamRow {
    row: u32,
    code: String,
    name: String,
    funder: String,
    ringfenced: bool,
    year: FinancialYear,
    budget: Money,
    status: BudgetStatus,
}

/// The column a refused field of a stream is in.
fn column_of(field: &str) -> Option<&'static str> {
    match field {
        f if f.ends_with(".amount") => Some("budget"),
        f if f.ends_with(".financial_year") => Some("financial_year"),
        _ => None,
    }
}

fn parse_row(cells: &mut Cells) -> Result<Option<StreamRow>, AppError> {
    let code = cells.field::<Code>("code", true);
    let name = cells.field::<ShortText>("name", true);
    let funder = cells.field::<ShortText>("funder", true);
    let ringfenced = cells.flag("ringfenced");
    let year = cells.year("financial_year");
    let budget = cells.money("budget", true);
    let status = cells.choice::<BudgetStatus>("budget_status");
    Ok(
        match (code, name, funder, ringfenced, year, budget, status) {
            (
                Some(code),
                Some(name),
                Some(funder),
                Some(ringfenced),
                Some(year),
                Some(budget),
                Some(status),
            ) => {
                // The checks a stream created by hand gets.
                let stream = NewFundingStream {
                    code,
                    name,
                    funder,
                    ringfenced,
                    description: None,
                    return_due_rule: None,
                    return_due_days: None,
                    budgets: vec![BudgetInput {
                        financial_year: year,
                        amount: budget,
                        status,
                    }],
                };
                cells
                    .check(stream.check(), column_of)?
                    .map(|stream| StreamRow {
                        row: cells.number(),
                        code: stream.code.to_string(),
                        name: stream.name.to_string(),
                        funder: stream.funder.to_string(),
                        ringfenced,
                        year,
                        budget,
                        status,
                    })
            }
            _ => None,
        },
    )
}

/// The rows that read well, and the problems of the others: rows of one
/// stream must agree on its name, funder and ringfencing, and give each year
/// once. Only a header the import cannot read is refused at once.
fn parse(table: &Table) -> Result<(Vec<StreamRow>, Problems), AppError> {
    let columns = bind(table, ImportKind::FundingStreams, &[])?;
    let (rows, mut problems) = read_rows(table, &columns, parse_row)?;
    let mut first_of_code: HashMap<&str, &StreamRow> = HashMap::new();
    let mut first_of_year: HashMap<(&str, FinancialYear), u32> = HashMap::new();
    for row in &rows {
        let first = *first_of_code.entry(row.code.as_str()).or_insert(row);
        for (column, same) in [
            ("name", first.name == row.name),
            ("funder", first.funder == row.funder),
            ("ringfenced", first.ringfenced == row.ringfenced),
        ] {
            if !same {
                problems.row(
                    row.row,
                    Some(column),
                    format!(
                        "differs from row {} for stream {}: every row of a stream gives the same {column}",
                        first.row, row.code
                    ),
                );
            }
        }
        let year = *first_of_year
            .entry((row.code.as_str(), row.year))
            .or_insert(row.row);
        if year != row.row {
            problems.row(
                row.row,
                Some("financial_year"),
                format!(
                    "row {year} already gives stream {}'s {} budget; give each year once",
                    row.code, row.year
                ),
            );
        }
    }
    Ok((rows, problems))
}

/// What the import writes, and what it tells of each row.
/// Each write with the row it comes from.
#[derive(Debug, Default)]
struct Plan {
    new_streams: Vec<(u32, StreamFields)>,
    changed_streams: Vec<(u32, StreamFields)>,
    new_budgets: Vec<(u32, BudgetFields)>,
    changed_budgets: Vec<(u32, BudgetFields)>,
    results: Vec<RowResult>,
}

/// Decides each row against the streams as stored (by code). A budget may
/// not be set below what awards commit for its year, as by hand; a funder's
/// cut that does so is recorded one year at a time, by hand.
fn plan(
    rows: &[StreamRow],
    stored: &HashMap<String, FundingStream>,
    mut problems: Problems,
) -> Result<Plan, AppError> {
    let mut plan = Plan::default();
    // Each code's stream id, and whether this import creates it.
    let mut streams: HashMap<&str, (FundingStreamId, bool)> = HashMap::new();
    let mut renamed: HashSet<FundingStreamId> = HashSet::new();
    for row in rows {
        let fields = |id| StreamFields {
            id,
            code: row.code.clone(),
            name: row.name.clone(),
            funder: row.funder.clone(),
            ringfenced: row.ringfenced,
        };
        let existing = stored.get(&row.code);
        let (id, new) = *streams
            .entry(row.code.as_str())
            .or_insert_with(|| match existing {
                None => {
                    let id = FundingStreamId::new();
                    plan.new_streams.push((row.row, fields(id)));
                    (id, true)
                }
                Some(stream) => {
                    let same = stream.name == row.name
                        && stream.funder == row.funder
                        && stream.ringfenced == row.ringfenced;
                    if !same {
                        renamed.insert(stream.id);
                        plan.changed_streams.push((row.row, fields(stream.id)));
                    }
                    (stream.id, false)
                }
            });
        let budget = BudgetFields {
            funding_stream_id: id,
            financial_year: row.year,
            amount: row.budget,
            status: row.status,
        };
        let stored_year =
            existing.and_then(|s| s.budgets.iter().find(|b| b.financial_year == row.year));
        let details_changed = renamed.contains(&id);
        let outcome = match stored_year {
            None => {
                plan.new_budgets.push((row.row, budget));
                RowOutcome::Created
            }
            Some(year) if year.budget == row.budget && year.status == row.status => {
                if details_changed {
                    RowOutcome::Updated
                } else {
                    RowOutcome::Unchanged
                }
            }
            Some(year) => {
                let change = BudgetChange {
                    amount: row.budget,
                    status: row.status,
                    accept_over_commitment: false,
                };
                if change.check_against(row.year, year.committed).is_err() {
                    problems.row(
                        row.row,
                        Some("budget"),
                        format!(
                            "{} of stream {} already has {} committed to awards; an import may \
                             not set its budget below that (a funder's cut is recorded by hand, \
                             with accept_over_commitment)",
                            row.year, row.code, year.committed
                        ),
                    );
                }
                plan.changed_budgets.push((row.row, budget));
                RowOutcome::Updated
            }
        };
        let mut result = RowResult::new(row.row, outcome, id);
        result.new_record = new;
        plan.results.push(result);
    }
    problems.finish()?;
    Ok(plan)
}

/// The funding streams import: a row per stream and financial year, matched
/// by code.
pub const KIND: Kind = Kind {
    permission: Permission::ImportStreams,
    resource: ResourceType::FundingStream,
    required: &[
        "code",
        "name",
        "funder",
        "ringfenced",
        "financial_year",
        "budget",
        "budget_status",
    ],
    optional: &[],
    example: &[
        "VSS",
        "Victims Specialist Services",
        "Ministry of Justice",
        "true",
        "2022-23",
        "213940.00",
        "confirmed",
    ],
    import,
};

pub fn import(run: Run<'_>) -> Result<Vec<RowResult>, AppError> {
    let (rows, problems) = parse(run.table)?;
    let organisation_id = run.actor.organisation_id;
    let codes = distinct(rows.iter().map(|r| r.code.clone()));
    let stored: HashMap<String, FundingStream> =
        funding_streams::by_codes_locked(run.conn, organisation_id, &codes)?
            .into_iter()
            .map(|stream| (stream.code.clone(), stream))
            .collect();
    let plan = plan(&rows, &stored, problems)?;
    let at = now();
    for batch in plan.new_streams.chunks(BATCH) {
        let streams: Vec<StreamFields> = batch.iter().map(|(_, s)| s.clone()).collect();
        funding_streams::insert_many(run.conn, organisation_id, &streams, at)
            .map_err(while_writing(batch.iter().map(|(row, _)| *row)))?;
    }
    for (row, stream) in &plan.changed_streams {
        funding_streams::set_fields(run.conn, stream, at).map_err(while_writing([*row]))?;
    }
    for batch in plan.new_budgets.chunks(BATCH) {
        let budgets: Vec<BudgetFields> = batch.iter().map(|(_, b)| b.clone()).collect();
        funding_streams::insert_budgets(run.conn, &budgets, at)
            .map_err(while_writing(batch.iter().map(|(row, _)| *row)))?;
        (run.progress)(batch.len());
    }
    for (row, budget) in &plan.changed_budgets {
        funding_streams::set_budget(run.conn, budget, at).map_err(while_writing([*row]))?;
        (run.progress)(1);
    }
    // A stream whose budget changed was changed, as setting a budget marks it
    // (a new one was just written).
    let created: HashSet<FundingStreamId> = plan.new_streams.iter().map(|(_, s)| s.id).collect();
    let mut touched: Vec<FundingStreamId> = plan
        .new_budgets
        .iter()
        .chain(&plan.changed_budgets)
        .map(|(_, b)| b.funding_stream_id)
        .filter(|id| !created.contains(id))
        .collect();
    touched.sort();
    touched.dedup();
    funding_streams::touch_many(run.conn, &touched, at)?;
    (run.progress)(plan.results.len() - plan.new_budgets.len() - plan.changed_budgets.len());
    Ok(plan.results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::funding_stream::YearBudget;
    use crate::import::table::{read, Format};

    fn table(csv: &str) -> Table {
        read(csv.as_bytes(), Format::Csv, "funding-streams").expect("a table")
    }

    const HEADER: &str = "code,name,funder,ringfenced,financial_year,budget,budget_status\n";

    fn rows_of(csv: &str) -> Result<Vec<StreamRow>, AppError> {
        let (rows, problems) = parse(&table(&format!("{HEADER}{csv}")))?;
        problems.finish().map(|()| rows)
    }

    fn problems(result: Result<impl std::fmt::Debug, AppError>) -> Vec<String> {
        match result {
            Err(AppError::InvalidRows(rows)) => rows.iter().map(ToString::to_string).collect(),
            other => panic!("expected invalid rows, got {other:?}"),
        }
    }

    #[test]
    fn every_bad_cell_of_every_row_is_named() {
        let found = problems(rows_of(
            "VSS,Victims,MoJ,maybe,2022-23,1.234,confirmed\n\
             ,Victims,MoJ,true,2022-24,10.00,approved\n",
        ));
        assert_eq!(found.len(), 5, "{found:#?}");
        assert!(
            found[0].starts_with("row 2, column \"ringfenced\""),
            "{found:#?}"
        );
        assert!(
            found[1].starts_with("row 2, column \"budget\""),
            "{found:#?}"
        );
        assert!(found
            .iter()
            .any(|p| p.starts_with("row 3, column \"code\": is empty")));
        assert!(found
            .iter()
            .any(|p| p.starts_with("row 3, column \"financial_year\"")));
        assert!(found
            .iter()
            .any(|p| p.contains("\"approved\" is not one of: indicative, confirmed")));
    }

    #[test]
    fn rows_of_one_stream_agree_and_give_each_year_once() {
        let found = problems(rows_of(
            "VSS,Victims,MoJ,true,2022-23,10.00,confirmed\n\
             VSS,Victims (core),MoJ,true,2023-24,10.00,indicative\n\
             VSS,Victims,MoJ,true,2022-23,12.00,confirmed\n",
        ));
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].starts_with("row 3, column \"name\": differs from row 2"));
        assert!(found[1].contains("row 2 already gives stream VSS's 2022-23 budget"));
    }

    fn stored(committed: &str) -> HashMap<String, FundingStream> {
        let money = |s: &str| Money::parse(s).expect("money");
        let stream = FundingStream {
            id: "stream-1".into(),
            code: "VSS".to_owned(),
            name: "Victims".to_owned(),
            funder: "MoJ".to_owned(),
            ringfenced: true,
            description: None,
            return_due_rule: None,
            return_due_days: None,
            budgets: vec![YearBudget {
                financial_year: FinancialYear::parse("2022-23").expect("a year"),
                status: BudgetStatus::Confirmed,
                budget: money("100.00"),
                committed: money(committed),
                uncommitted: Money::ZERO,
            }],
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        HashMap::from([("VSS".to_owned(), stream)])
    }

    #[test]
    fn a_row_is_created_updated_or_unchanged_by_its_year() {
        let rows = rows_of(
            "VSS,Victims,MoJ,true,2022-23,100.00,confirmed\n\
             VSS,Victims,MoJ,true,2023-24,50.00,indicative\n\
             NEW,New,Home Office,false,2022-23,5.00,confirmed\n",
        )
        .expect("rows");
        let planned = plan(&rows, &stored("0"), Problems::new()).expect("a plan");
        let outcomes: Vec<_> = planned
            .results
            .iter()
            .map(|r| (r.outcome, r.new_record))
            .collect();
        assert_eq!(
            outcomes,
            [
                (RowOutcome::Unchanged, false),
                (RowOutcome::Created, false),
                (RowOutcome::Created, true)
            ]
        );
        assert_eq!(planned.new_streams.len(), 1);
        assert_eq!(planned.new_budgets.len(), 2);
        assert!(planned.changed_streams.is_empty() && planned.changed_budgets.is_empty());

        let renamed =
            rows_of("VSS,Victims (core),MoJ,true,2022-23,100.00,confirmed\n").expect("rows");
        let planned = plan(&renamed, &stored("0"), Problems::new()).expect("a plan");
        assert_eq!(planned.results[0].outcome, RowOutcome::Updated);
        assert_eq!(planned.changed_streams.len(), 1);
    }

    #[test]
    fn a_budget_is_not_cut_below_what_is_committed() {
        let rows = rows_of("VSS,Victims,MoJ,true,2022-23,60.00,confirmed\n").expect("rows");
        let found = problems(plan(&rows, &stored("75.00"), Problems::new()));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with(
                "row 2, column \"budget\": 2022-23 of stream VSS already has 75.00 committed"
            ),
            "{found:?}"
        );
        assert!(plan(&rows, &stored("60.00"), Problems::new()).is_ok());
    }
}
