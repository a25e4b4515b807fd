//! Providers, found by their charity or company number when the row gives
//! one, else by name (case and spacing ignored, as duplicates are found by
//! hand). An empty number or contact cell leaves what is stored: an import
//! adds and corrects, it does not clear.

use crate::domain::id::ProviderId;
use std::collections::HashMap;

use super::cells::{bind, read_rows, while_writing, Cells, Problems};
use super::kind::{ImportKind, Kind, Run};
use super::rows::{RowOutcome, RowResult};
use super::table::Table;
use crate::auth::Permission;
use crate::db::batch::BATCH;
use crate::db::{now, providers};
use crate::domain::audit::ResourceType;
use crate::domain::field::{CharityNumber, CompanyNumber, Email, OrBlank, ShortText};
use crate::domain::provider::{name_key, NewProvider, Provider, ProviderDetails, ProviderKind};
use crate::error::AppError;

/// One row, read and checked as a provider registered by hand is. Empty
/// optional cells are `None`.
#[derive(Debug, Clone)]
struct ProviderRow {
    row: u32,
    details: ProviderDetails,
}

fn parse_row(cells: &mut Cells) -> Option<ProviderRow> {
    let name = cells.field::<ShortText>("name", true);
    let kind = cells.choice::<ProviderKind>("kind");
    let charity_number = cells.field::<CharityNumber>("charity_number", false);
    let company_number = cells.field::<CompanyNumber>("company_number", false);
    let contact_name = cells.field::<ShortText>("contact_name", false);
    let contact_email = cells.field::<Email>("contact_email", false);
    match (name, kind) {
        (Some(name), Some(kind)) => {
            // Read as a provider registered by hand is.
            let provider = NewProvider {
                name,
                kind,
                charity_number: charity_number.map(OrBlank::Value),
                company_number: company_number.map(OrBlank::Value),
                // Imports do not touch a provider's recorded org-id.
                org_id: None,
                contact_name: contact_name.map(OrBlank::Value),
                contact_email: contact_email.map(OrBlank::Value),
                allow_duplicate: false,
            }
            .check();
            Some(ProviderRow {
                row: cells.number(),
                details: ProviderDetails {
                    name: provider.name.to_string(),
                    kind,
                    charity_number: provider.charity_number().map(str::to_owned),
                    company_number: provider.company_number().map(str::to_owned),
                    contact_name: provider.contact_name().map(str::to_owned),
                    contact_email: provider.contact_email().map(str::to_owned),
                },
            })
        }
        _ => None,
    }
}

/// The rows that read well, and the problems of the others.
fn parse(table: &Table) -> Result<(Vec<ProviderRow>, Problems), AppError> {
    let columns = bind(table, ImportKind::Providers, &[])?;
    read_rows(table, &columns, |cells| Ok(parse_row(cells)))
}

/// A provider a row may name: one stored, or one an earlier row creates.
struct Known {
    id: ProviderId,
    details: ProviderDetails,
    /// The row that names it, once one does.
    named_by: Option<u32>,
    stored: bool,
}

/// The providers known so far, by number and by name.
#[derive(Default)]
struct Register {
    known: Vec<Known>,
    by_charity: HashMap<String, usize>,
    by_company: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
}

impl Register {
    fn add(&mut self, known: Known) -> usize {
        let at = self.known.len();
        self.by_name
            .entry(name_key(&known.details.name))
            .or_default()
            .push(at);
        self.known.push(known);
        self.renumber(at);
        at
    }

    /// Records a provider's numbers (new ones too), so later rows find it
    /// by them.
    fn renumber(&mut self, at: usize) {
        let details = &self.known[at].details;
        if let Some(number) = &details.charity_number {
            self.by_charity.insert(number.clone(), at);
        }
        if let Some(number) = &details.company_number {
            self.by_company.insert(number.clone(), at);
        }
    }

    fn describe(&self, at: usize) -> String {
        let known = &self.known[at];
        match known.stored {
            true => format!("provider '{}' ({})", known.details.name, known.id),
            false => format!("the provider '{}'", known.details.name),
        }
    }

    /// The provider a row names: by number, else by a name whose provider
    /// has no other number of the same kind. `Ok(None)`: a new provider.
    fn find(&self, row: &ProviderDetails) -> Result<Option<usize>, String> {
        let by_charity = row
            .charity_number
            .as_ref()
            .and_then(|n| self.by_charity.get(n).copied());
        let by_company = row
            .company_number
            .as_ref()
            .and_then(|n| self.by_company.get(n).copied());
        match (by_charity, by_company) {
            (Some(a), Some(b)) if a != b => {
                return Err(format!(
                    "the charity number is {}'s and the company number {}'s",
                    self.describe(a),
                    self.describe(b)
                ))
            }
            (Some(found), _) | (None, Some(found)) => return Ok(Some(found)),
            (None, None) => {}
        }
        let agrees = |mine: &Option<String>, theirs: &Option<String>| match (mine, theirs) {
            (Some(mine), Some(theirs)) => mine == theirs,
            _ => true,
        };
        let named: Vec<usize> = self
            .by_name
            .get(&name_key(&row.name))
            .into_iter()
            .flatten()
            .copied()
            .filter(|&at| {
                let details = &self.known[at].details;
                agrees(&row.charity_number, &details.charity_number)
                    && agrees(&row.company_number, &details.company_number)
            })
            .collect();
        match named.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            many => Err(format!(
                "{} providers are named '{}' ({}); give the charity or company number to say which",
                many.len(),
                row.name,
                many.iter()
                    .map(|&at| self.known[at].id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// What the import writes (each with the row it comes from), and what it
/// tells of each row.
#[derive(Debug, Default)]
struct Plan {
    new: Vec<(u32, (ProviderId, ProviderDetails))>,
    changed: Vec<(u32, (ProviderId, ProviderDetails))>,
    results: Vec<RowResult>,
}

/// Decides each row against the stored providers, in file order, as if
/// each row were imported after the one before: a row naming a provider an
/// earlier row already names is refused.
fn plan(
    rows: &[ProviderRow],
    stored: Vec<Provider>,
    mut problems: Problems,
) -> Result<Plan, AppError> {
    let mut register = Register::default();
    for provider in stored {
        register.add(Known {
            details: provider.details(),
            id: provider.id,
            named_by: None,
            stored: true,
        });
    }
    let mut plan = Plan::default();
    for row in rows {
        let found = match register.find(&row.details) {
            Ok(found) => found,
            Err(message) => {
                problems.row(row.row, None, message);
                continue;
            }
        };
        let Some(at) = found else {
            let details = row.details.clone();
            let id = ProviderId::new();
            register.add(Known {
                id,
                details: details.clone(),
                named_by: Some(row.row),
                stored: false,
            });
            plan.new.push((row.row, (id, details)));
            plan.results
                .push(RowResult::new(row.row, RowOutcome::Created, id));
            continue;
        };
        let known = &mut register.known[at];
        if let Some(earlier) = known.named_by {
            problems.row(
                row.row,
                None,
                format!("row {earlier} already names this provider; give each provider one row"),
            );
            continue;
        }
        known.named_by = Some(row.row);
        let (given, current) = (&row.details, &known.details);
        let kept = |given: &Option<String>, current: &Option<String>| {
            given.clone().or_else(|| current.clone())
        };
        let wanted = ProviderDetails {
            name: given.name.clone(),
            kind: given.kind,
            charity_number: kept(&given.charity_number, &current.charity_number),
            company_number: kept(&given.company_number, &current.company_number),
            contact_name: kept(&given.contact_name, &current.contact_name),
            contact_email: kept(&given.contact_email, &current.contact_email),
        };
        let outcome = if wanted == *current {
            RowOutcome::Unchanged
        } else {
            plan.changed.push((row.row, (known.id, wanted.clone())));
            known.details = wanted;
            RowOutcome::Updated
        };
        let id = known.id;
        register.renumber(at);
        plan.results.push(RowResult::new(row.row, outcome, id));
    }
    problems.finish()?;
    Ok(plan)
}

/// The providers import: a row per provider, matched by registered number,
/// else by name.
pub const KIND: Kind = Kind {
    permission: Permission::ImportProviders,
    resource: ResourceType::Provider,
    required: &["name", "kind", "charity_number", "company_number"],
    optional: &["contact_name", "contact_email"],
    example: &[
        "Dandelion Time",
        "charity",
        "1150222",
        "",
        "Sam Patel",
        "referrals@dandelion.example",
    ],
    import,
};

pub fn import(run: Run<'_>) -> Result<Vec<RowResult>, AppError> {
    let (rows, problems) = parse(run.table)?;
    let organisation_id = run.actor.organisation_id;
    let stored = providers::all_locked(run.conn, organisation_id)?;
    let plan = plan(&rows, stored, problems)?;
    let at = now();
    (run.progress)(plan.results.len() - plan.new.len() - plan.changed.len());
    for batch in plan.new.chunks(BATCH) {
        let rows = batch.iter().map(|(row, _)| *row).collect::<Vec<_>>();
        let new: Vec<(ProviderId, ProviderDetails)> =
            batch.iter().map(|(_, p)| p.clone()).collect();
        providers::insert_many(run.conn, organisation_id, &new, at).map_err(while_writing(rows))?;
        (run.progress)(batch.len());
    }
    for (row, (id, details)) in &plan.changed {
        providers::set_details(run.conn, *id, details, at).map_err(while_writing([*row]))?;
        (run.progress)(1);
    }
    Ok(plan.results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::table::{read, Format};

    const HEADER: &str = "name,kind,charity_number,company_number,contact_email\n";

    fn rows_of(csv: &str) -> Vec<ProviderRow> {
        let table = read(format!("{HEADER}{csv}").as_bytes(), Format::Csv, "").expect("a table");
        let (rows, problems) = parse(&table).expect("rows");
        problems.finish().expect("no problems");
        rows
    }

    fn stored(name: &str, charity: Option<&str>) -> Provider {
        Provider {
            id: format!("id-{name}-{}", charity.unwrap_or("none"))
                .as_str()
                .into(),
            name: name.to_owned(),
            kind: ProviderKind::Charity,
            charity_number: charity.map(str::to_owned),
            company_number: None,
            org_id: None,
            org_ids: Vec::new(),
            contact_name: None,
            contact_email: Some("old@rubicon.example".to_owned()),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    fn outcomes(plan: &Plan) -> Vec<(RowOutcome, String)> {
        plan.results
            .iter()
            .map(|r| (r.outcome, r.id.map(|id| id.to_string()).unwrap_or_default()))
            .collect()
    }

    #[test]
    fn numbers_find_a_provider_before_its_name_does() {
        let rows = rows_of(
            "Rubicon Cares,charity,1123456,,\n\
             rubicon   CARES,charity,,,\n",
        );
        let planned = plan_of(&rows[..1], vec![stored("Rubicon Cares", Some("1123456"))]);
        assert_eq!(
            outcomes(&planned),
            [(
                RowOutcome::Unchanged,
                ProviderId::from("id-Rubicon Cares-1123456").to_string()
            )]
        );
        // The name alone, differently spaced, finds it too; the new spelling is kept.
        let planned = plan_of(&rows[1..], vec![stored("Rubicon Cares", Some("1123456"))]);
        assert_eq!(planned.results[0].outcome, RowOutcome::Updated);
        assert_eq!(planned.changed[0].1 .1.name, "rubicon   CARES");
        assert_eq!(
            planned.changed[0].1 .1.charity_number.as_deref(),
            Some("1123456"),
            "an empty cell keeps the number"
        );
    }

    fn plan_of(rows: &[ProviderRow], stored: Vec<Provider>) -> Plan {
        plan(rows, stored, Problems::new()).expect("a plan")
    }

    #[test]
    fn a_name_with_another_number_is_another_provider() {
        let rows = rows_of("Citizens Advice,charity,1234567,,\n");
        let planned = plan_of(&rows, vec![stored("Citizens Advice", Some("7654321"))]);
        assert_eq!(planned.results[0].outcome, RowOutcome::Created);
        // With no number of its own the name finds the registered one, and adds the number.
        let planned = plan_of(&rows, vec![stored("Citizens Advice", None)]);
        assert_eq!(planned.results[0].outcome, RowOutcome::Updated);
        assert_eq!(
            planned.changed[0].1 .1.charity_number.as_deref(),
            Some("1234567")
        );
    }

    #[test]
    fn two_rows_for_one_provider_and_ambiguous_names_are_refused() {
        let rows = rows_of(
            "Dads Unlimited,charity,,,\n\
             DADS UNLIMITED,charity,,,\n\
             Rubicon Cares,charity,,,\n",
        );
        let stored = vec![
            stored("Rubicon Cares", Some("1111111")),
            stored("Rubicon Cares", Some("2222222")),
        ];
        match plan(&rows, stored, Problems::new()) {
            Err(AppError::InvalidRows(found)) => {
                assert_eq!(found.len(), 2, "{found:?}");
                assert_eq!(found[0].row, 3);
                assert!(found[0]
                    .message
                    .contains("row 2 already names this provider"));
                assert_eq!(found[1].row, 4);
                assert!(found[1]
                    .message
                    .contains("2 providers are named 'Rubicon Cares'"));
            }
            other => panic!("expected invalid rows, got {other:?}"),
        }
    }

    #[test]
    fn bad_cells_are_named_by_column() {
        let table = read(
            format!("{HEADER},bank,12,ABC,not-an-email\n").as_bytes(),
            Format::Csv,
            "",
        )
        .expect("a table");
        match parse(&table).and_then(|(_, problems)| problems.finish()) {
            Err(AppError::InvalidRows(found)) => {
                let columns: Vec<_> = found.iter().map(|e| e.column.as_deref()).collect();
                assert_eq!(
                    columns,
                    [
                        Some("name"),
                        Some("kind"),
                        Some("charity_number"),
                        Some("company_number"),
                        Some("contact_email")
                    ]
                );
                assert!(found.iter().all(|e| e.row == 2));
            }
            other => panic!("expected invalid rows, got {other:?}"),
        }
    }
}
