//! The access matrix: every documented operation × every role × a record of
//! the caller's own organisation, of another organisation and (for a provider
//! token) of another provider, on both backends.
//!
//! The expected outcomes are written out below as data, from README's "Who
//! may do what" and the roles documented in `src/auth.rs` (admin manages the
//! organisation and reads the audit trail; commissioners also read it; only
//! finance records payments; only commissioners query and accept returns).
//! They are deliberately not computed from `permits`, so that the
//! implementation is checked against the documented matrix. An operation in
//! the OpenAPI document but not in the table, or the other way round, fails
//! the test; and no response to any cell may contain the id of a record the
//! caller may not see.

use std::collections::{BTreeSet, HashSet};

use commissioning::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{create_organisation, spawn_app, Backend, Reply, TestApp};

/// What a role may do with an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone, with or without a token.
    Public,
    /// Allowed on the records of the caller's organisation.
    Allowed,
    /// A provider token: allowed on its own provider's records only.
    OwnRecords,
    /// 403 whatever the record: the role is checked before the record.
    Forbidden,
}

const PUB: Access = Access::Public;
const Y: Access = Access::Allowed;
const OWN: Access = Access::OwnRecords;
const N: Access = Access::Forbidden;

/// The order of each row's access column.
const ROLES: [Role; 4] = [
    Role::Admin,
    Role::Commissioner,
    Role::Finance,
    Role::Provider,
];

/// The kind of record an operation's `{id}`, or its body, names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Organisation,
    Stream,
    Provider,
    /// An active contract.
    Contract,
    /// A draft contract; `{line_id}` is one of its funding lines.
    Draft,
    /// A measure defined for one contract.
    Measure,
    /// A draft outcome return.
    Return,
}

impl Kind {
    /// Whether records of this kind belong to one provider.
    fn of_a_provider(self) -> bool {
        !matches!(self, Kind::Organisation | Kind::Stream)
    }
}

/// The lists, and how to tell whose their items are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listed {
    Organisations,
    Streams,
    Providers,
    Contracts,
    Measures,
    Returns,
    MissingAndLate,
    AuditEvents,
    /// Reports: one document for a year, whose lines are the "items".
    BudgetReport,
    ProviderReport,
    OutcomesReport,
}

/// What an operation acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// Health: no record and no token.
    Public,
    List(Listed),
    /// A creation; `Some(kind)` when its body names a record of that kind.
    Create(Option<Kind>),
    /// The record `{id}` names.
    Record(Kind),
    /// An import of a file, or its template: records only by what the file
    /// names (by reference), never by id.
    Import,
    /// A published document of the caller's organisation, for a year.
    Document,
}

/// A throwaway record made for every cell of a destructive operation, so
/// that no cell depends on what an earlier one did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fresh {
    No,
    Stream,
    Provider,
    /// A draft contract with one funding line.
    Draft,
    Active,
    /// A measure of the slot's active contract.
    Measure,
    /// A draft return on a new active contract.
    DraftReturn,
    SubmittedReturn,
}

type Body = fn(&Ids, usize) -> Option<Value>;

/// One documented operation: who may call it, on what.
struct Op {
    method: &'static str,
    path: &'static str,
    target: Target,
    /// admin, commissioner, finance, provider (as [`ROLES`]).
    access: [Access; 4],
    fresh: Fresh,
    /// Besides `{id}`, the request names another record (in its body or as
    /// `{line_id}`): it is also tried naming one of another organisation.
    names_another: bool,
    /// The body, naming the records in the given ids; the number is unique
    /// per cell, for names and codes.
    body: Body,
    /// What `{kind}` is in the path: an import's kind, each with its own
    /// access (so one documented operation has a row per kind).
    kind: Option<&'static str>,
    /// A file sent as the body instead (CSV), for an import.
    upload: Option<Upload>,
}

type Upload = fn(usize) -> String;

fn op(access: [Access; 4], method: &'static str, path: &'static str, target: Target) -> Op {
    Op {
        method,
        path,
        target,
        access,
        fresh: Fresh::No,
        names_another: false,
        body: |_, _| None,
        kind: None,
        upload: None,
    }
}

impl Op {
    fn body(self, body: Body) -> Op {
        Op { body, ..self }
    }

    fn fresh(self, fresh: Fresh) -> Op {
        Op { fresh, ..self }
    }

    fn naming_another(self) -> Op {
        Op {
            names_another: true,
            ..self
        }
    }

    fn key(&self) -> Operation {
        (self.method.to_owned(), self.path.to_owned())
    }

    /// The operation with its `{kind}`: what one row of the matrix checks.
    fn row_key(&self) -> Operation {
        let path = match self.kind {
            Some(kind) => self.path.replace("{kind}", kind),
            None => self.path.to_owned(),
        };
        (self.method.to_owned(), path)
    }

    fn kind(self, kind: &'static str) -> Op {
        Op {
            kind: Some(kind),
            ..self
        }
    }

    fn upload(self, upload: Upload) -> Op {
        Op {
            upload: Some(upload),
            ..self
        }
    }

    /// Whether a record of the operation may belong to another provider.
    fn of_a_provider(&self) -> bool {
        match self.target {
            Target::Public => false,
            Target::List(listed) => listed.of_a_provider(),
            Target::Create(named) => named.is_some_and(Kind::of_a_provider),
            Target::Import | Target::Document => false,
            Target::Record(kind) => kind.of_a_provider(),
        }
    }
}

/// The documented matrix: README "Who may do what", plus the admin role
/// (the organisation itself and the audit trail) and the reviewing of
/// returns. Columns: admin, commissioner, finance, provider.
#[rustfmt::skip]
fn matrix() -> Vec<Op> {
    use Kind::*;
    use Listed as L;
    use Target::{Create, Import, List, Record};
    vec![
        // Health needs no token.
        op([PUB, PUB, PUB, PUB], "GET", "/healthz", Target::Public),
        op([PUB, PUB, PUB, PUB], "GET", "/readyz", Target::Public),

        // The own organisation: everyone reads it; admin alone renames it.
        op([Y, Y, Y, Y], "GET",    "/api/v1/organisations",      List(L::Organisations)),
        op([Y, Y, Y, Y], "GET",    "/api/v1/organisations/{id}", Record(Organisation)),
        op([Y, N, N, N], "PATCH",  "/api/v1/organisations/{id}", Record(Organisation)).body(body::rename_organisation),

        // Funding streams and budgets: commissioner read, write; finance read.
        op([N, Y, N, N], "POST",   "/api/v1/funding-streams",      Create(None)).body(body::new_stream),
        op([N, Y, Y, N], "GET",    "/api/v1/funding-streams",      List(L::Streams)),
        op([N, Y, Y, N], "GET",    "/api/v1/funding-streams/{id}", Record(Stream)),
        op([N, Y, N, N], "PATCH",  "/api/v1/funding-streams/{id}", Record(Stream)).body(body::rename),
        op([N, Y, N, N], "DELETE", "/api/v1/funding-streams/{id}", Record(Stream)).fresh(Fresh::Stream),
        op([N, Y, N, N], "PUT",    "/api/v1/funding-streams/{id}/budgets/{financial_year}", Record(Stream)).body(body::budget),
        op([N, Y, N, N], "DELETE", "/api/v1/funding-streams/{id}/budgets/{financial_year}", Record(Stream)).fresh(Fresh::Stream),

        // Providers: commissioner read, write; finance read; a provider its own record.
        op([N, Y, N, N],   "POST",   "/api/v1/providers",      Create(None)).body(body::new_provider),
        op([N, Y, Y, OWN], "GET",    "/api/v1/providers",      List(L::Providers)),
        op([N, Y, Y, OWN], "GET",    "/api/v1/providers/{id}", Record(Provider)),
        op([N, Y, N, N],   "PATCH",  "/api/v1/providers/{id}", Record(Provider)).body(body::rename),
        op([N, Y, N, N],   "DELETE", "/api/v1/providers/{id}", Record(Provider)).fresh(Fresh::Provider),

        // Contracts, funding lines, variations, status: commissioner read,
        // write; finance read; a provider reads its own contracts.
        op([N, Y, N, N],   "POST",   "/api/v1/contracts",             Create(Some(Provider))).body(body::new_contract),
        op([N, Y, Y, OWN], "GET",    "/api/v1/contracts",             List(L::Contracts)),
        op([N, Y, Y, OWN], "GET",    "/api/v1/contracts/{id}",        Record(Contract)),
        op([N, Y, N, N],   "PATCH",  "/api/v1/contracts/{id}",        Record(Draft)).body(body::change_contract).naming_another(),
        op([N, Y, N, N],   "DELETE", "/api/v1/contracts/{id}",        Record(Draft)).fresh(Fresh::Draft),
        op([N, Y, N, N],   "POST",   "/api/v1/contracts/{id}/status", Record(Draft)).body(body::activate).fresh(Fresh::Draft),
        op([N, Y, Y, OWN], "GET",    "/api/v1/contracts/{id}/funding-lines",           Record(Contract)),
        op([N, Y, N, N],   "POST",   "/api/v1/contracts/{id}/funding-lines",           Record(Draft)).body(body::new_line).naming_another(),
        op([N, Y, N, N],   "PATCH",  "/api/v1/contracts/{id}/funding-lines/{line_id}", Record(Draft)).body(body::line_amount).naming_another(),
        op([N, Y, N, N],   "DELETE", "/api/v1/contracts/{id}/funding-lines/{line_id}", Record(Draft)).naming_another().fresh(Fresh::Draft),
        op([N, Y, Y, OWN], "GET",    "/api/v1/contracts/{id}/variations", Record(Contract)),
        op([N, Y, N, N],   "POST",   "/api/v1/contracts/{id}/variations", Record(Contract)).body(body::variation).naming_another().fresh(Fresh::Active),
        op([N, Y, Y, OWN], "GET",    "/api/v1/contracts/{id}/publication", Record(Contract)),
        op([N, Y, N, N],   "PUT",    "/api/v1/contracts/{id}/publication", Record(Contract)).body(body::publication),

        // Payments: commissioner and finance read; finance alone records them.
        op([N, Y, Y, OWN], "GET",    "/api/v1/contracts/{id}/payments", Record(Contract)),
        op([N, N, Y, N],   "POST",   "/api/v1/contracts/{id}/payments", Record(Contract)).body(body::payment).naming_another(),
        op([N, N, Y, N],   "POST",   "/api/v1/contracts/{id}/payments/{payment_id}/reversal", Record(Contract)).body(body::reversal),

        // Outcome measures: commissioner read, write; finance read; a
        // provider those of its own contracts.
        op([N, Y, Y, OWN], "GET",    "/api/v1/contracts/{id}/outcome-measures", Record(Contract)),
        op([N, Y, N, N],   "POST",   "/api/v1/outcome-measures",      Create(Some(Contract))).body(body::new_measure),
        op([N, Y, Y, OWN], "GET",    "/api/v1/outcome-measures",      List(L::Measures)),
        op([N, Y, Y, OWN], "GET",    "/api/v1/outcome-measures/{id}", Record(Measure)),
        op([N, Y, N, N],   "PATCH",  "/api/v1/outcome-measures/{id}", Record(Measure)).body(body::relabel),
        op([N, Y, N, N],   "DELETE", "/api/v1/outcome-measures/{id}", Record(Measure)).fresh(Fresh::Measure),

        // Outcome returns: commissioner read, write and review; finance read;
        // a provider reads, creates, edits and submits its own.
        op([N, Y, N, OWN], "POST",   "/api/v1/outcome-returns",               Create(Some(Contract))).body(body::new_return),
        op([N, Y, Y, OWN], "GET",    "/api/v1/outcome-returns",               List(L::Returns)),
        op([N, Y, Y, OWN], "GET",    "/api/v1/outcome-returns/{id}",          Record(Return)),
        op([N, Y, N, OWN], "PATCH",  "/api/v1/outcome-returns/{id}",          Record(Return)).body(body::referrals),
        op([N, Y, N, OWN], "POST",   "/api/v1/outcome-returns/{id}/submit",   Record(Return)).fresh(Fresh::DraftReturn),
        op([N, Y, N, N],   "POST",   "/api/v1/outcome-returns/{id}/query",    Record(Return)).body(body::query).fresh(Fresh::SubmittedReturn),
        op([N, Y, N, N],   "POST",   "/api/v1/outcome-returns/{id}/accept",   Record(Return)).fresh(Fresh::SubmittedReturn),
        op([N, Y, Y, OWN], "GET",    "/api/v1/outcome-returns/{id}/versions", Record(Return)),
        op([N, Y, Y, OWN], "GET",    "/api/v1/reports/missing-and-late-returns", List(L::MissingAndLate)),

        // Reports across the organisation: commissioner and finance.
        op([N, Y, Y, N],   "GET",    "/api/v1/reports/budget",    List(L::BudgetReport)),
        op([N, Y, Y, N],   "GET",    "/api/v1/reports/providers", List(L::ProviderReport)),
        op([N, Y, Y, N],   "GET",    "/api/v1/reports/outcomes",  List(L::OutcomesReport)),
        op([N, Y, Y, N],   "GET",    "/api/v1/reports/budget.csv",    List(L::BudgetReport)),
        op([N, Y, Y, N],   "GET",    "/api/v1/reports/providers.csv", List(L::ProviderReport)),
        op([N, Y, Y, N],   "GET",    "/api/v1/reports/outcomes.csv",  List(L::OutcomesReport)),

        // Publication with a token: admin, commissioner and finance; the
        // organisation publishes them (the fixtures switch it on), so
        // anyone may read them without one.
        op([Y, Y, Y, N],   "GET",    "/api/v1/publish/360giving", Target::Document),
        op([Y, Y, Y, N],   "GET",    "/api/v1/publish/360giving.csv", Target::Document),
        op([Y, Y, Y, N],   "GET",    "/api/v1/publish/ocds", Target::Document),
        op([Y, Y, Y, N],   "GET",    "/api/v1/publish/registers/{register}", Target::Document),
        op([Y, Y, Y, N],   "GET",    "/api/v1/publish/registers/{register}.csv", Target::Document),
        op([PUB, PUB, PUB, PUB], "GET", "/public/{organisation_id}/360giving.json", Target::Public),
        op([PUB, PUB, PUB, PUB], "GET", "/public/{organisation_id}/360giving.csv", Target::Public),
        op([PUB, PUB, PUB, PUB], "GET", "/public/{organisation_id}/ocds.json", Target::Public),
        op([PUB, PUB, PUB, PUB], "GET", "/public/{organisation_id}/registers/{register}.csv", Target::Public),
        op([PUB, PUB, PUB, PUB], "GET", "/public/{organisation_id}/registers/{register}.json", Target::Public),

        // The audit trail: admin and commissioner.
        op([Y, Y, N, N],   "GET",    "/api/v1/audit-events", List(L::AuditEvents)),

        // Imports and their templates: streams, providers, awards and returns
        // (entered on providers' behalf) the commissioning team's, payments
        // finance's alone; the admin may run any.
        op([Y, Y, N, N],   "POST",   "/api/v1/imports/{kind}", Import).kind("funding-streams").upload(upload::streams),
        op([Y, Y, N, N],   "POST",   "/api/v1/imports/{kind}", Import).kind("providers").upload(upload::providers),
        op([Y, Y, N, N],   "POST",   "/api/v1/imports/{kind}", Import).kind("awards").upload(upload::providers),
        op([Y, N, Y, N],   "POST",   "/api/v1/imports/{kind}", Import).kind("payments").upload(upload::payments),
        op([Y, Y, N, N],   "POST",   "/api/v1/imports/{kind}", Import).kind("outcome-returns").upload(upload::returns),
        op([Y, Y, N, N],   "GET",    "/api/v1/imports/{kind}/template", Import).kind("funding-streams"),
        op([Y, Y, N, N],   "GET",    "/api/v1/imports/{kind}/template", Import).kind("providers"),
        // The awards template's row comes with the awards import.
        op([Y, N, Y, N],   "GET",    "/api/v1/imports/{kind}/template", Import).kind("payments"),
        op([Y, Y, N, N],   "GET",    "/api/v1/imports/{kind}/template", Import).kind("outcome-returns"),
    ]
}

/// Request bodies, naming the records in `ids`; `n` is unique per cell.
mod body {
    use serde_json::{json, Value};

    use super::Ids;

    type Json = Option<Value>;

    pub fn publication(_: &Ids, n: usize) -> Json {
        Some(json!({"description": format!("Published description {n}"), "vcse": true}))
    }

    pub fn rename_organisation(_: &Ids, n: usize) -> Json {
        Some(json!({"name": format!("Office {n}")}))
    }

    pub fn new_stream(_: &Ids, n: usize) -> Json {
        Some(super::stream_body(&format!("NEW{n}")))
    }

    pub fn rename(_: &Ids, n: usize) -> Json {
        Some(json!({"name": format!("Renamed {n}")}))
    }

    pub fn budget(_: &Ids, _: usize) -> Json {
        Some(json!({"amount": "5000.00", "status": "indicative"}))
    }

    pub fn new_provider(_: &Ids, n: usize) -> Json {
        Some(json!({"name": format!("New provider {n}"), "kind": "charity"}))
    }

    pub fn new_contract(ids: &Ids, _: usize) -> Json {
        Some(super::contract_body(&ids.provider, &ids.stream, "10.00"))
    }

    pub fn change_contract(ids: &Ids, n: usize) -> Json {
        Some(json!({"title": format!("Title {n}"), "provider_id": ids.provider}))
    }

    pub fn activate(_: &Ids, _: usize) -> Json {
        Some(json!({"status": "active"}))
    }

    pub fn new_line(ids: &Ids, _: usize) -> Json {
        Some(super::line_body(&ids.spare_stream, "1.00"))
    }

    pub fn line_amount(_: &Ids, _: usize) -> Json {
        Some(json!({"amount": "2.00"}))
    }

    /// The same split anew (the throwaway contract is worth 100.00).
    pub fn variation(ids: &Ids, _: usize) -> Json {
        Some(
            json!({"funding_lines": [super::line_body(&ids.stream, "100.00")],
                    "reason": "Re-profiled", "decision_reference": "OPCC.D.001.22"}),
        )
    }

    pub fn payment(ids: &Ids, _: usize) -> Json {
        Some(json!({"amount": "1.00", "paid_on": "2022-07-01", "funding_stream_id": ids.stream}))
    }

    pub fn reversal(_: &Ids, _: usize) -> Json {
        Some(json!({"reversed_on": "2022-09-30", "reason": "Paid in error"}))
    }

    pub fn new_measure(ids: &Ids, n: usize) -> Json {
        Some(
            json!({"contract_id": ids.contract, "code": format!("new_{n}"),
                    "label": "New measure", "unit": "count"}),
        )
    }

    pub fn relabel(_: &Ids, n: usize) -> Json {
        Some(json!({"label": format!("Label {n}")}))
    }

    /// A later quarter than the fixture's Q1 (an already used one is a 409).
    pub fn new_return(ids: &Ids, n: usize) -> Json {
        Some(super::return_body(&ids.contract, ["Q2", "Q3", "Q4"][n % 3]))
    }

    pub fn referrals(_: &Ids, n: usize) -> Json {
        Some(json!({"referrals": n % 100}))
    }

    pub fn query(_: &Ids, _: usize) -> Json {
        Some(json!({"comment": "Please check the referrals"}))
    }
}

/// Import files, each with one row unique per cell; a payment or return
/// names a contract by a reference no fixture has (the import refuses it
/// with a 422, which is access granted).
mod upload {
    pub fn streams(n: usize) -> String {
        format!(
            "code,name,funder,ringfenced,financial_year,budget,budget_status\n\
             IMP{n},Imported {n},Home Office,false,2022-23,100.00,indicative\n"
        )
    }

    pub fn providers(n: usize) -> String {
        format!("name,kind,charity_number,company_number\nImported provider {n},charity,,\n")
    }

    pub fn payments(n: usize) -> String {
        format!(
            "contract_reference,paid_on,amount,reference\nNO-SUCH-{n},2022-07-01,1.00,INV-{n}\n"
        )
    }

    pub fn returns(n: usize) -> String {
        format!(
            "contract_reference,financial_year,quarter,referrals,people_supported,spend,status,received_on\n\
             NO-SUCH-{n},2022-23,Q2,1,1,1.00,draft,\n"
        )
    }
}

fn stream_body(code: &str) -> Value {
    let budget = |year: &str| json!({"financial_year": year, "amount": "10000000.00", "status": "confirmed"});
    json!({"code": code, "name": format!("Stream {code}"), "funder": "Ministry of Justice",
           "ringfenced": true, "budgets": [budget("2022-23"), budget("2023-24")]})
}

fn line_body(stream: &str, amount: &str) -> Value {
    json!({"funding_stream_id": stream, "financial_year": "2022-23", "amount": amount})
}

fn contract_body(provider: &str, stream: &str, value: &str) -> Value {
    json!({"provider_id": provider, "kind": "grant", "title": "Grant",
           "start_date": "2022-04-01", "end_date": "2023-03-31", "value": value,
           "funding_lines": [line_body(stream, value)]})
}

fn return_body(contract: &str, quarter: &str) -> Value {
    json!({"contract_id": contract, "financial_year": "2022-23", "quarter": quarter,
           "referrals": 4, "people_supported": 3, "spend": "100.00",
           "values": [{"code": "helped", "value": 3}]})
}

impl Listed {
    fn of_a_provider(self) -> bool {
        !matches!(
            self,
            Listed::Organisations
                | Listed::Streams
                | Listed::AuditEvents
                | Listed::BudgetReport
                | Listed::ProviderReport
                | Listed::OutcomesReport
        )
    }

    /// For a report: its path's query for the fixtures' year, and the field
    /// holding its lines.
    fn report(self) -> Option<(&'static str, &'static str)> {
        match self {
            Listed::BudgetReport => Some(("financial_year=2022-23", "streams")),
            Listed::ProviderReport => Some(("financial_year=2022-23", "providers")),
            Listed::OutcomesReport => Some(("financial_year=2022-23&group_by=contract", "groups")),
            _ => None,
        }
    }

    /// The fixture record each list must show its own caller.
    fn own_record(self, ids: &Ids) -> Option<&str> {
        Some(match self {
            Listed::Organisations => &ids.org,
            Listed::Streams | Listed::AuditEvents | Listed::BudgetReport => &ids.stream,
            Listed::Providers | Listed::ProviderReport => &ids.provider,
            Listed::Contracts | Listed::MissingAndLate => &ids.contract,
            Listed::Measures => &ids.measure,
            Listed::Returns => &ids.ret,
            // The fixtures' returns are drafts, which no report counts: only
            // leaks are checked here (tests/api/reports.rs checks the sums).
            Listed::OutcomesReport => return None,
        })
    }

    /// Query filters naming a record: (parameter, the record, whether it
    /// belongs to a provider). Naming one the caller cannot see lists nothing.
    fn filters(self) -> Vec<Filter> {
        match self {
            Listed::Organisations | Listed::Streams | Listed::Providers => vec![],
            Listed::Contracts => vec![
                ("provider_id", |i| &i.provider, true),
                ("funding_stream_id", |i| &i.stream, false),
            ],
            Listed::Measures => vec![
                ("contract_id", |i| &i.contract, true),
                ("funding_stream_id", |i| &i.stream, false),
            ],
            Listed::Returns => vec![
                ("contract_id", |i| &i.contract, true),
                ("provider_id", |i| &i.provider, true),
            ],
            Listed::MissingAndLate => vec![
                ("provider_id", |i| &i.provider, true),
                ("funding_stream_id", |i| &i.stream, false),
            ],
            Listed::AuditEvents => vec![
                ("resource_id", |i| &i.contract, false),
                ("resource_id", |i| &i.stream, false),
            ],
            Listed::BudgetReport => vec![("funding_stream_id", |i| &i.stream, false)],
            Listed::ProviderReport => vec![
                ("provider_id", |i| &i.provider, true),
                ("funding_stream_id", |i| &i.stream, false),
            ],
            Listed::OutcomesReport => vec![
                ("provider_id", |i| &i.provider, true),
                ("contract_id", |i| &i.contract, true),
                ("funding_stream_id", |i| &i.stream, false),
            ],
        }
    }
}

/// The report a path serves, if it is one: (query for the year, lines field).
fn listed_report(path: &str) -> Option<(&'static str, &'static str)> {
    [
        ("/api/v1/reports/budget", Listed::BudgetReport),
        ("/api/v1/reports/providers", Listed::ProviderReport),
        ("/api/v1/reports/outcomes", Listed::OutcomesReport),
    ]
    .into_iter()
    .find(|(p, _)| *p == path.trim_end_matches(".csv"))
    .and_then(|(_, listed)| listed.report())
}

/// A list's query parameter naming a record: (parameter, the record, whether
/// it belongs to a provider).
type Filter = (&'static str, fn(&Ids) -> &str, bool);

/// A documented operation: (method, path).
type Operation = (String, String);

/// One organisation's and provider's records (a fixture "slot").
#[derive(Debug, Clone)]
struct Ids {
    org: String,
    /// Funds the slot's contracts; has the stream measure `helped`.
    stream: String,
    /// Funds nothing.
    spare_stream: String,
    provider: String,
    /// Active, 2022-23, with a payment and a draft Q1 return.
    contract: String,
    /// A draft contract with one funding line, `line`.
    draft: String,
    line: String,
    /// A measure of `contract` alone.
    measure: String,
    ret: String,
    payment: String,
}

impl Ids {
    fn made_up() -> Ids {
        let id = || "01900000-0000-7000-8000-00000000beef".to_owned();
        Ids {
            org: id(),
            stream: id(),
            spare_stream: id(),
            provider: id(),
            contract: id(),
            draft: id(),
            line: id(),
            measure: id(),
            ret: id(),
            payment: id(),
        }
    }

    fn of(&self, kind: Kind) -> &str {
        match kind {
            Kind::Organisation => &self.org,
            Kind::Stream => &self.stream,
            Kind::Provider => &self.provider,
            Kind::Contract => &self.contract,
            Kind::Draft => &self.draft,
            Kind::Measure => &self.measure,
            Kind::Return => &self.ret,
        }
    }

    fn all(&self) -> [&String; 10] {
        [
            &self.org,
            &self.stream,
            &self.spare_stream,
            &self.provider,
            &self.contract,
            &self.draft,
            &self.line,
            &self.measure,
            &self.ret,
            &self.payment,
        ]
    }

    /// The ids belonging to the slot's provider (not to the organisation).
    fn of_the_provider(&self) -> [&String; 7] {
        [
            &self.provider,
            &self.contract,
            &self.draft,
            &self.line,
            &self.measure,
            &self.ret,
            &self.payment,
        ]
    }
}

/// Whose record a cell acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// The caller's organisation (for a provider token, its own provider).
    Own,
    /// The caller's organisation, another provider.
    OtherProvider,
    /// Another organisation.
    Foreign,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Own,
    ForeignOrganisation,
    /// Provider tokens: a record of another provider of the same organisation.
    OtherProvider,
    /// An own record, with the request naming another organisation's record
    /// besides it (in the body, or as `{line_id}`).
    NamingForeign,
}

impl Variant {
    fn slot(self) -> Slot {
        match self {
            Variant::Own | Variant::NamingForeign => Slot::Own,
            Variant::ForeignOrganisation => Slot::Foreign,
            Variant::OtherProvider => Slot::OtherProvider,
        }
    }
}

fn variants(op: &Op, role: Role) -> Vec<Variant> {
    match op.target {
        Target::Public | Target::Create(None) | Target::Import | Target::Document => {
            vec![Variant::Own]
        }
        _ => {
            let mut variants = vec![Variant::Own, Variant::ForeignOrganisation];
            if role == Role::Provider && op.of_a_provider() {
                variants.push(Variant::OtherProvider);
            }
            if op.names_another {
                variants.push(Variant::NamingForeign);
            }
            variants
        }
    }
}

/// Every documented (method, path), and those that take If-Match.
fn documented_operations() -> (BTreeSet<Operation>, HashSet<Operation>) {
    let doc = commissioning::api::openapi::document_value();
    let paths = doc["paths"].as_object().expect("the document has paths");
    let mut operations = BTreeSet::new();
    let mut if_match = HashSet::new();
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("a path item") {
            let methods = [
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ];
            if !methods.contains(&method.as_str()) {
                continue;
            }
            let key = (method.to_uppercase(), path.clone());
            let takes_if_match = operation["parameters"].as_array().is_some_and(|params| {
                params
                    .iter()
                    .any(|p| p["in"] == "header" && p["name"] == "If-Match")
            });
            if takes_if_match {
                if_match.insert(key.clone());
            }
            operations.insert(key);
        }
    }
    (operations, if_match)
}

/// The id of a created record.
fn id(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {value}"))
        .to_owned()
}

/// A setup step that must succeed.
async fn must(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let reply = app.post(path, token, body).await;
    assert!(
        reply.status.is_success(),
        "setting up: POST {path} answered {}: {}",
        reply.status,
        reply.body
    );
    reply.body
}

async fn new_stream(app: &TestApp, token: &str, code: &str) -> String {
    id(&must(app, "funding-streams", token, stream_body(code)).await)
}

async fn new_provider(app: &TestApp, token: &str, name: &str) -> String {
    let body = json!({"name": name, "kind": "charity"});
    id(&must(app, "providers", token, body).await)
}

/// A draft contract and its one funding line.
async fn new_draft(app: &TestApp, token: &str, provider: &str, stream: &str) -> (String, String) {
    let body = contract_body(provider, stream, "100.00");
    let contract = must(app, "contracts", token, body).await;
    let line = contract["funding_lines"][0]["id"]
        .as_str()
        .expect("a funding line")
        .to_owned();
    (id(&contract), line)
}

async fn new_active(app: &TestApp, token: &str, provider: &str, stream: &str) -> String {
    let (contract, _) = new_draft(app, token, provider, stream).await;
    must(
        app,
        &format!("contracts/{contract}/status"),
        token,
        json!({"status": "active"}),
    )
    .await;
    contract
}

async fn new_return(app: &TestApp, token: &str, contract: &str) -> String {
    id(&must(app, "outcome-returns", token, return_body(contract, "Q1")).await)
}

/// An organisation's records: its streams, then one slot per provider.
async fn organisation_fixtures(app: &TestApp, org: &str, providers: &[&str]) -> Vec<Ids> {
    let commissioner = app.token_for(org, Role::Commissioner);
    let finance = app.token_for(org, Role::Finance);
    let stream = new_stream(app, &commissioner, "VSS").await;
    let spare_stream = new_stream(app, &commissioner, "SPARE").await;
    let measure = json!({"funding_stream_id": stream, "code": "helped",
                         "label": "People helped", "unit": "people"});
    must(app, "outcome-measures", &commissioner, measure).await;
    publish(app, org).await;
    let mut slots = Vec::new();
    for name in providers {
        let provider = new_provider(app, &commissioner, name).await;
        let contract = new_active(app, &commissioner, &provider, &stream).await;
        let (draft, line) = new_draft(app, &commissioner, &provider, &stream).await;
        let measure = json!({"contract_id": contract, "code": "sessions",
                             "label": "Sessions held", "unit": "count"});
        let measure = id(&must(app, "outcome-measures", &commissioner, measure).await);
        let payment = json!({"amount": "10.00", "paid_on": "2022-06-30"});
        let payments = format!("contracts/{contract}/payments");
        let payment = id(&must(app, &payments, &finance, payment).await);
        let ret = new_return(app, &commissioner, &contract).await;
        slots.push(Ids {
            org: org.to_owned(),
            stream: stream.clone(),
            spare_stream: spare_stream.clone(),
            provider,
            contract,
            draft,
            line,
            measure,
            ret,
            payment,
        });
    }
    slots
}

/// Sets the organisation's publication identifiers and switches it on.
async fn publish(app: &TestApp, org: &str) {
    let admin = app.token_for(org, Role::Admin);
    let path = format!("organisations/{org}");
    let tag = app
        .etag(&path, &admin)
        .await
        .expect("the organisation's ETag");
    let body = json!({"publication": {"enabled": true, "org_id": "GB-GOR-PC000001",
        "grant_prefix": "360G-matrix", "ocid_prefix": "ocds-matrix"}});
    let reply = app
        .send_if_match("PATCH", &path, &admin, Some(&tag), Some(&body))
        .await;
    assert_eq!(reply.status.as_u16(), 200, "publication on: {}", reply.body);
}

/// Who sends a cell's request.
struct Caller {
    role: Role,
    token: String,
}

/// The state of one backend's run: fixtures, what no caller may see, and
/// what went wrong.
struct Run<'a> {
    app: &'a TestApp,
    own: Ids,
    other_provider: Ids,
    foreign: Ids,
    /// Every id of the other organisation's records, fixtures and throwaways.
    foreign_ids: BTreeSet<String>,
    /// Every id of the other provider's records (in the caller's organisation).
    other_provider_ids: BTreeSet<String>,
    if_match: HashSet<Operation>,
    failures: Vec<String>,
    cells: usize,
    /// Each (method, path, role) checked.
    checked: BTreeSet<(String, String, &'static str)>,
}

impl Run<'_> {
    fn ids(&self, slot: Slot) -> &Ids {
        match slot {
            Slot::Own => &self.own,
            Slot::OtherProvider => &self.other_provider,
            Slot::Foreign => &self.foreign,
        }
    }

    /// A commissioner of the slot's organisation (to build records and read ETags).
    fn commissioner(&self, slot: Slot) -> String {
        self.app.token_for(&self.ids(slot).org, Role::Commissioner)
    }

    /// A token of the caller's organisation; a provider token is bound to `provider`.
    fn caller(&self, role: Role, provider: &str) -> Caller {
        let token = match role {
            Role::Provider => self.app.provider_token(provider),
            role => self.app.token(role),
        };
        Caller { role, token }
    }

    fn fail(&mut self, message: String) {
        self.failures.push(message);
    }

    /// Sends a request and checks that its answer names no record the caller
    /// may not see.
    async fn send(
        &mut self,
        caller: Option<&Caller>,
        method: &str,
        path: &str,
        if_match: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let reply = match caller {
            Some(caller) => {
                self.app
                    .send_if_match(method, path, &caller.token, if_match, body)
                    .await
            }
            None => self.app.send(method, path, None, body).await,
        };
        self.check_leaks(caller.map(|c| c.role), method, path, &reply);
        reply
    }

    /// Sends a file (an import) and checks its answer as [`Run::send`] does.
    async fn send_file(&mut self, caller: &Caller, path: &str, file: &str) -> Reply {
        let reply = self
            .app
            .upload(path, &caller.token, "text/csv", file.as_bytes(), None)
            .await;
        self.check_leaks(Some(caller.role), "POST", path, &reply);
        reply
    }

    /// Fails the run if the answer names a record the caller may not see.
    fn check_leaks(&mut self, role: Option<Role>, method: &str, path: &str, reply: &Reply) {
        let text = reply.body.to_string();
        // What an organisation publishes is public, to its providers too;
        // another organisation's records must still never appear.
        let published = path.starts_with("/public/");
        let hidden = self
            .foreign_ids
            .iter()
            .map(|id| (id, "another organisation"))
            .chain(
                self.other_provider_ids
                    .iter()
                    .filter(|_| role == Some(Role::Provider) && !published)
                    .map(|id| (id, "another provider")),
            );
        let leaks: Vec<String> = hidden
            .filter(|(id, _)| text.contains(id.as_str()))
            .map(|(id, whose)| format!("{id} ({whose})"))
            .collect();
        if !leaks.is_empty() {
            self.fail(format!(
                "LEAK: {method} {path} as {} answered {} naming {} hidden record(s), e.g. {}",
                role.map_or("anonymous", Role::as_str),
                reply.status,
                leaks.len(),
                leaks[..leaks.len().min(3)].join(", ")
            ));
        }
    }

    /// A throwaway record in the slot: the slot's ids with the new record's.
    async fn fresh(&mut self, fresh: Fresh, slot: Slot, n: usize) -> Ids {
        let app = self.app;
        let token = self.commissioner(slot);
        let mut ids = self.ids(slot).clone();
        match fresh {
            Fresh::No => return ids,
            Fresh::Stream => ids.stream = new_stream(app, &token, &format!("T{n}")).await,
            Fresh::Provider => {
                ids.provider = new_provider(app, &token, &format!("Throwaway {n}")).await;
            }
            Fresh::Draft => {
                (ids.draft, ids.line) = new_draft(app, &token, &ids.provider, &ids.stream).await;
            }
            Fresh::Active => {
                ids.contract = new_active(app, &token, &ids.provider, &ids.stream).await;
            }
            Fresh::Measure => {
                let body = json!({"contract_id": ids.contract, "code": format!("throwaway_{n}"),
                                  "label": "Throwaway", "unit": "count"});
                ids.measure = id(&must(app, "outcome-measures", &token, body).await);
            }
            Fresh::DraftReturn | Fresh::SubmittedReturn => {
                ids.contract = new_active(app, &token, &ids.provider, &ids.stream).await;
                ids.ret = new_return(app, &token, &ids.contract).await;
                if fresh == Fresh::SubmittedReturn {
                    let submit = format!("outcome-returns/{}/submit", ids.ret);
                    must(app, &submit, &token, json!({})).await;
                }
            }
        }
        let before = self.ids(slot).clone();
        let new: Vec<String> = ids
            .all()
            .into_iter()
            .filter(|id| !before.all().contains(id))
            .cloned()
            .collect();
        match slot {
            Slot::Own => {}
            Slot::Foreign => self.foreign_ids.extend(new),
            // A new stream would be the organisation's, not the provider's.
            Slot::OtherProvider if fresh != Fresh::Stream => self.other_provider_ids.extend(new),
            Slot::OtherProvider => {}
        }
        ids
    }

    /// The record's current ETag, read by a commissioner of its organisation
    /// (`*` when it cannot be read).
    async fn etag(&self, path: &str, slot: Slot) -> String {
        let relative = path.trim_start_matches("/api/v1/");
        self.app
            .etag(relative, &self.commissioner(slot))
            .await
            .unwrap_or_else(|| "*".to_owned())
    }

    async fn operation(&mut self, op: &Op) {
        for role in ROLES {
            for variant in variants(op, role) {
                self.cell(op, role, variant).await;
            }
        }
        if op.target == Target::Public {
            self.cells += 1;
            let path = fill(op, &self.own, &self.own);
            let reply = self.send(None, op.method, &path, None, None).await;
            if reply.status.as_u16() != 200 {
                self.fail(format!(
                    "{} {} without a token: expected 200, got {} {}",
                    op.method, op.path, reply.status, reply.body
                ));
            }
        }
    }

    async fn cell(&mut self, op: &Op, role: Role, variant: Variant) {
        self.cells += 1;
        let (method, path) = op.row_key();
        self.checked.insert((method, path, role.as_str()));
        let n = self.cells;
        let access = op.access[ROLES.iter().position(|r| *r == role).expect("a role")];
        let label = format!(
            "{} {} as {} ({variant:?})",
            op.method,
            op.path,
            role.as_str()
        );
        let slot = variant.slot();
        let target = self.fresh(op.fresh, slot, n).await;
        // A provider token acts for the provider of its own records; against
        // anyone else's it is the caller's own provider.
        let provider = match variant {
            Variant::Own => target.provider.clone(),
            _ => self.own.provider.clone(),
        };
        let caller = self.caller(role, &provider);
        if let Target::List(listed) = op.target {
            return self
                .list_cell(op, listed, &caller, variant, access, &label)
                .await;
        }
        let refs = match variant {
            Variant::NamingForeign => self.foreign.clone(),
            _ => target.clone(),
        };
        let path = fill(op, &target, &refs);
        let body = (op.body)(&refs, n);
        let if_match = match self.if_match.contains(&op.key()) {
            true => Some(self.etag(&path, slot).await),
            false => None,
        };
        let reply = match op.upload {
            Some(file) => self.send_file(&caller, &path, &file(n)).await,
            None => {
                self.send(
                    Some(&caller),
                    op.method,
                    &path,
                    if_match.as_deref(),
                    body.as_ref(),
                )
                .await
            }
        };
        let status = reply.status.as_u16();
        match (access, variant) {
            (Access::Public, _) => {
                if status != 200 {
                    self.fail(format!(
                        "{label}: expected 200, got {status} {}",
                        reply.body
                    ));
                }
            }
            (Access::Forbidden, _) => {
                if status != 403 || !is_problem(&reply) {
                    self.fail(format!(
                        "{label}: expected 403, got {status} {}",
                        reply.body
                    ));
                }
            }
            (_, Variant::Own) => {
                let fine = match op.method {
                    "GET" => status == 200,
                    _ => reply.status.is_success() || status == 409 || status == 422,
                };
                if !fine {
                    self.fail(format!(
                        "{label}: expected the documented access, got {status} {}",
                        reply.body
                    ));
                }
            }
            (_, variant) => {
                // The same request naming made-up records instead of the
                // foreign ones must be answered identically.
                let (path_ids, ref_ids) = match (op.target, variant) {
                    (Target::Create(_), _) | (_, Variant::NamingForeign) => {
                        (target.clone(), Ids::made_up())
                    }
                    _ => (Ids::made_up(), refs.clone()),
                };
                let made_up_path = fill(op, &path_ids, &ref_ids);
                let made_up_body = (op.body)(&ref_ids, n);
                let made_up = self
                    .send(
                        Some(&caller),
                        op.method,
                        &made_up_path,
                        if_match.as_ref().map(|_| "*"),
                        made_up_body.as_ref(),
                    )
                    .await;
                let expected: &[u16] = match (op.target, variant) {
                    (Target::Record(_), Variant::ForeignOrganisation | Variant::OtherProvider) => {
                        &[404]
                    }
                    _ => &[403, 404, 422],
                };
                if !expected.contains(&status) || !is_problem(&reply) {
                    self.fail(format!(
                        "{label}: expected {expected:?} as for a missing record, got {status} {}",
                        reply.body
                    ));
                } else if (reply.status, &reply.body) != (made_up.status, &made_up.body) {
                    self.fail(format!(
                        "{label}: answered {status} {} but for a made-up id {} {}",
                        reply.body, made_up.status, made_up.body
                    ));
                }
            }
        }
    }

    async fn list_cell(
        &mut self,
        op: &Op,
        listed: Listed,
        caller: &Caller,
        variant: Variant,
        access: Access,
        label: &str,
    ) {
        if access == Access::Forbidden {
            let reply = self.send(Some(caller), "GET", op.path, None, None).await;
            if reply.status.as_u16() != 403 || !is_problem(&reply) {
                self.fail(format!(
                    "{label}: expected 403, got {} {}",
                    reply.status, reply.body
                ));
            }
            return;
        }
        let Some(items) = self.list_all(caller, op.path, "", label).await else {
            return;
        };
        match variant {
            Variant::Own => {
                if let Some(own) = listed.own_record(&self.own).map(str::to_owned) {
                    if !items.iter().any(|item| item.to_string().contains(&own)) {
                        self.fail(format!("{label}: the caller's own {own} is not listed"));
                    }
                }
                if caller.role == Role::Provider {
                    self.only_own_provider(listed, &items, label).await;
                }
            }
            Variant::ForeignOrganisation | Variant::OtherProvider => {
                // The list itself was checked for leaks by `send`; now name
                // the hidden records in its filters.
                let hidden = match variant {
                    Variant::OtherProvider => self.other_provider.clone(),
                    _ => self.foreign.clone(),
                };
                for (param, record, of_a_provider) in listed.filters() {
                    if variant == Variant::OtherProvider && !of_a_provider {
                        continue;
                    }
                    let query = format!("&{param}={}", record(&hidden));
                    if let Some(items) = self.list_all(caller, op.path, &query, label).await {
                        if !items.is_empty() {
                            self.fail(format!(
                                "{label}: ?{param}= naming a hidden record lists {} items: {items:?}",
                                items.len()
                            ));
                        }
                    }
                }
            }
            Variant::NamingForeign => unreachable!("lists name no other record"),
        }
    }

    /// Every item of a list, page by page (None, with a failure, when a page
    /// is refused).
    async fn list_all(
        &mut self,
        caller: &Caller,
        path: &str,
        query: &str,
        label: &str,
    ) -> Option<Vec<Value>> {
        if let Some((year, lines)) = listed_report(path) {
            let url = format!("{path}?{year}{query}");
            let reply = self.send(Some(caller), "GET", &url, None, None).await;
            if reply.status.as_u16() != 200 {
                self.fail(format!(
                    "{label}: GET {url} expected 200, got {} {}",
                    reply.status, reply.body
                ));
                return None;
            }
            if let Some(csv) = reply.body.as_str() {
                // A CSV report's lines are its rows below the header, less
                // the totals (which are there even when nothing matches).
                let rows = csv.lines().skip(1).filter(|row| !row.starts_with("total,"));
                return Some(rows.map(|row| Value::String(row.to_owned())).collect());
            }
            return Some(reply.body[lines].as_array().cloned().unwrap_or_default());
        }
        let mut items = Vec::new();
        loop {
            let page = format!("{path}?limit=500&offset={}{query}", items.len());
            let reply = self.send(Some(caller), "GET", &page, None, None).await;
            if reply.status.as_u16() != 200 {
                self.fail(format!(
                    "{label}: GET {page} expected 200, got {} {}",
                    reply.status, reply.body
                ));
                return None;
            }
            // Most lists are pages; the missing-and-late report is an array.
            let (got, total) = match &reply.body {
                Value::Array(all) => (all.clone(), all.len()),
                body => (
                    body["items"].as_array().cloned().unwrap_or_default(),
                    body["total"].as_u64().unwrap_or(0) as usize,
                ),
            };
            let done = got.is_empty() || reply.body.is_array();
            items.extend(got);
            if done || items.len() >= total {
                return Some(items);
            }
        }
    }

    /// A provider's list holds only its own provider's records.
    async fn only_own_provider(&mut self, listed: Listed, items: &[Value], label: &str) {
        let own = self.own.provider.clone();
        // The provider's contracts and the streams funding them, now.
        let commissioner = self.caller(Role::Commissioner, "");
        let query = format!("&provider_id={own}");
        let contracts = self
            .list_all(&commissioner, "/api/v1/contracts", &query, label)
            .await
            .unwrap_or_default();
        let contract_ids: HashSet<String> = contracts.iter().map(|c| text(&c["id"])).collect();
        let stream_ids: HashSet<String> = contracts
            .iter()
            .filter_map(|c| c["funding_lines"].as_array())
            .flatten()
            .map(|line| text(&line["funding_stream_id"]))
            .collect();
        for item in items {
            let belongs = match listed {
                Listed::Providers => text(&item["id"]) == own,
                Listed::Contracts => text(&item["provider_id"]) == own,
                Listed::Measures => {
                    contract_ids.contains(&text(&item["contract_id"]))
                        || stream_ids.contains(&text(&item["funding_stream_id"]))
                }
                Listed::Returns => contract_ids.contains(&text(&item["contract_id"])),
                Listed::MissingAndLate => {
                    text(&item["provider_id"]) == own
                        && contract_ids.contains(&text(&item["contract_id"]))
                }
                Listed::Organisations | Listed::Streams | Listed::AuditEvents => true,
                // Reports span the organisation: no provider may read one.
                Listed::BudgetReport | Listed::ProviderReport | Listed::OutcomesReport => false,
            };
            if !belongs {
                self.fail(format!("{label}: lists another provider's {item}"));
            }
        }
    }
}

/// The operation's path with the records filled in: `{id}` from `ids`,
/// `{line_id}` from `refs`.
fn fill(op: &Op, ids: &Ids, refs: &Ids) -> String {
    let id = match op.target {
        Target::Record(kind) => ids.of(kind),
        _ => "",
    };
    let year = match op.target {
        Target::Document => "?financial_year=2022-23",
        _ => "",
    };
    op.path
        .replace("{id}", id)
        .replace("{organisation_id}", &ids.org)
        .replace("{register}", "spend")
        .replace("{line_id}", &refs.line)
        .replace("{payment_id}", &ids.payment)
        .replace("{financial_year}", "2023-24")
        .replace("{kind}", op.kind.unwrap_or("providers"))
        + year
}

/// A string field's value ("" when absent or not a string).
fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn is_problem(reply: &Reply) -> bool {
    reply.content_type == "application/problem+json"
        && reply.body["status"] == reply.status.as_u16()
}

async fn every_route_role_and_owner_gets_the_documented_outcome(backend: Backend) {
    // The table covers exactly the documented operations.
    let table = matrix();
    let (documented, if_match) = documented_operations();
    let listed: BTreeSet<Operation> = table.iter().map(Op::key).collect();
    let rows: BTreeSet<Operation> = table.iter().map(Op::row_key).collect();
    assert_eq!(
        rows.len(),
        table.len(),
        "an operation is in the matrix twice"
    );
    let missing: Vec<_> = documented.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&documented).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "the access matrix must list every documented operation and nothing else\n  \
         documented but not in the matrix: {missing:?}\n  in the matrix but not documented: {stale:?}"
    );
    for op in &table {
        let public = op.target == Target::Public;
        assert!(
            op.access.iter().all(|a| (*a == PUB) == public),
            "{} {}: public routes, and only they, are public to every role",
            op.method,
            op.path
        );
        assert!(
            op.access[..3].iter().all(|a| *a != OWN),
            "{} {}: only a provider is limited to its own records",
            op.method,
            op.path
        );
        if op.of_a_provider() {
            assert_ne!(
                op.access[3], Y,
                "{} {}: a provider sees its own records only",
                op.method, op.path
            );
        }
    }

    let app = spawn_app(backend).await;
    let other = create_organisation(&app.database_url, "Another OPCC");
    let mut own = organisation_fixtures(&app, &app.organisation_id, &["Own", "Other"]).await;
    let other_provider = own.pop().expect("the other provider");
    let own = own.pop().expect("the own provider");
    let foreign = organisation_fixtures(&app, &other, &["Foreign"])
        .await
        .pop()
        .expect("the foreign provider");
    let mut run = Run {
        app: &app,
        foreign_ids: foreign.all().into_iter().cloned().collect(),
        other_provider_ids: other_provider
            .of_the_provider()
            .into_iter()
            .cloned()
            .collect(),
        own,
        other_provider,
        foreign,
        if_match,
        failures: Vec::new(),
        cells: 0,
        checked: BTreeSet::new(),
    };
    for op in &table {
        run.operation(op).await;
    }

    assert!(
        run.failures.is_empty(),
        "{} failures in the {} cells of the access matrix:\n{}",
        run.failures.len(),
        run.cells,
        run.failures.join("\n")
    );
    // Every operation with every role, and on average at least an own and a
    // foreign record each (published documents name no record: one cell
    // each), so the test cannot silently check nothing.
    assert_eq!(run.checked.len(), table.len() * ROLES.len());
    let documents = table
        .iter()
        .filter(|op| op.target == Target::Document || op.path.starts_with("/public/"))
        .count();
    let floor = (table.len() - documents) * ROLES.len() * 2 + documents * ROLES.len();
    assert!(
        run.cells >= floor,
        "only {} cells were checked, expected at least {floor}",
        run.cells
    );
}

crate::on_both_backends!(every_route_role_and_owner_gets_the_documented_outcome);
