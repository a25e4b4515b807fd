//! Bulk imports: each kind's good file through one lifecycle (its dry run,
//! the import, a re-run) from one table, then what is particular to the
//! kind; bad rows, CSV and XLSX alike, templates, media types and who may
//! import.

use std::collections::BTreeMap;

use commissioning::auth::Role;
use commissioning::import::xlsx::{self, Cell};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, Reply, TestApp};

const CSV: &str = "text/csv";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const OCTET_STREAM: &str = "application/octet-stream";

type Rows<'a> = &'a [&'a [&'a str]];

/// The rows as CSV (the test values need no quoting).
fn csv(rows: Rows<'_>) -> Vec<u8> {
    let lines: Vec<String> = rows.iter().map(|row| row.join(",")).collect();
    format!("{}\r\n", lines.join("\r\n")).into_bytes()
}

/// The same rows as a workbook, its sheet named after the kind.
fn workbook(kind: &str, rows: Rows<'_>) -> Vec<u8> {
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|value| match *value {
                    "" => Cell::Empty,
                    text => Cell::text(text),
                })
                .collect()
        })
        .collect();
    xlsx::workbook(kind, &cells).expect("a workbook")
}

async fn import(app: &TestApp, kind: &str, token: &str, media: &str, file: &[u8]) -> Reply {
    app.upload(&format!("imports/{kind}"), token, media, file, None)
        .await
}

async fn dry_run(app: &TestApp, kind: &str, token: &str, media: &str, file: &[u8]) -> Reply {
    app.upload(
        &format!("imports/{kind}?dry_run=true"),
        token,
        media,
        file,
        None,
    )
    .await
}

/// Each row's (row, outcome).
fn outcomes(reply: &Reply) -> Vec<(u64, String)> {
    reply.body["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results in {}", reply.body))
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().expect("a row"),
                r["outcome"].as_str().expect("an outcome").to_owned(),
            )
        })
        .collect()
}

fn ids(reply: &Reply) -> Vec<Value> {
    reply.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["id"].clone())
        .collect()
}

fn counts(reply: &Reply) -> (u64, u64, u64) {
    let count = |field: &str| reply.body[field].as_u64().expect("a count");
    (count("created"), count("updated"), count("unchanged"))
}

/// The (row, column) of each refused row.
fn refused(reply: Reply) -> Vec<(u64, Option<String>)> {
    let reply = reply.expect_problem(422, None);
    assert_eq!(
        reply.body["type"], "/problems/invalid-rows",
        "{}",
        reply.body
    );
    reply.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().expect("a row"),
                e["column"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn at(row: u64, column: &str) -> (u64, Option<String>) {
    (row, Some(column.to_owned()))
}

async fn total(app: &TestApp, path: &str) -> u64 {
    app.get(path, &app.commissioner()).await.expect(200).body["total"]
        .as_u64()
        .expect("a total")
}

/// The organisation's import events, oldest first.
async fn import_events(app: &TestApp) -> Vec<Value> {
    app.get("audit-events?resource_type=import", &app.commissioner())
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .expect("items")
        .clone()
}

/// An awarded grant for 2022-23 with a reference, funded by the streams' lines.
async fn awarded(app: &TestApp, provider: &str, reference: &str, lines: &[(&str, &str)]) -> String {
    let value: i64 = lines
        .iter()
        .map(|(_, amount)| {
            amount
                .trim_end_matches(".00")
                .parse::<i64>()
                .expect("whole pounds")
        })
        .sum();
    let lines: Vec<Value> = lines
        .iter()
        .map(|(stream, amount)| {
            json!({"funding_stream_id": stream, "financial_year": "2022-23", "amount": amount})
        })
        .collect();
    let body = json!({
        "provider_id": provider, "kind": "grant", "reference": reference, "title": reference,
        "start_date": "2022-04-01", "end_date": "2023-03-31", "value": format!("{value}.00"),
        "funding_lines": lines, "status": "active"
    });
    app.post("contracts", &app.commissioner(), body)
        .await
        .expect(201)
        .str("id")
}

// The lifecycle every kind goes through, from one table: a dry run (CSV and
// XLSX alike) that keeps nothing, the import, one audit event for it, the
// same file again (as CSV and as XLSX) changing nothing; then what is
// particular to the kind.

/// What can be imported, as the tests name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    FundingStreams,
    Providers,
    Awards,
    Payments,
    OutcomeReturns,
}

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Kind::FundingStreams => "funding-streams",
            Kind::Providers => "providers",
            Kind::Awards => "awards",
            Kind::Payments => "payments",
            Kind::OutcomeReturns => "outcome-returns",
        }
    }

    /// Who imports it: payments are finance's, the rest the commissioner's.
    fn importer(self, app: &TestApp) -> String {
        match self {
            Kind::Payments => app.finance(),
            _ => app.commissioner(),
        }
    }
}

/// One kind's good file and what importing it does.
struct Case {
    kind: Kind,
    /// The file: a header, then its rows (2, 3, … as a spreadsheet numbers them).
    rows: Rows<'static>,
    /// What each row does, in order: `created` or `updated`.
    outcomes: &'static [&'static str],
    /// The format of the first dry run; the second is the other.
    dry_run_first: &'static str,
    /// The format the file is imported in.
    import_as: &'static str,
}

const CASES: &[Case] = &[
    Case {
        kind: Kind::FundingStreams,
        rows: STREAM_ROWS,
        outcomes: &["created", "created", "created"],
        dry_run_first: CSV,
        import_as: CSV,
    },
    Case {
        kind: Kind::Providers,
        rows: PROVIDER_ROWS,
        outcomes: &["created", "updated", "created"],
        dry_run_first: XLSX,
        import_as: CSV,
    },
    Case {
        kind: Kind::Awards,
        rows: AWARDS,
        outcomes: &["created", "created", "created", "created"],
        dry_run_first: CSV,
        import_as: CSV,
    },
    Case {
        kind: Kind::Payments,
        rows: PAYMENT_ROWS,
        outcomes: &["created", "created", "created"],
        dry_run_first: XLSX,
        import_as: CSV,
    },
    Case {
        kind: Kind::OutcomeReturns,
        rows: RETURN_ROWS,
        outcomes: &["created", "created", "created"],
        dry_run_first: CSV,
        import_as: XLSX,
    },
];

/// What a kind's file needs the organisation to hold first, and the ids
/// its checks read.
#[derive(Default)]
struct Setting {
    /// Rows of the file that are records made here, with their ids.
    known: BTreeMap<u64, String>,
    /// Ids made here, by name.
    ids: BTreeMap<&'static str, String>,
}

impl Setting {
    fn id(&self, name: &str) -> &str {
        self.ids
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in the setting"))
    }
}

async fn setting(app: &TestApp, kind: Kind) -> Setting {
    let mut setting = Setting::default();
    match kind {
        Kind::FundingStreams => {}
        Kind::Providers => {
            let rubicon = app.provider("Rubicon Cares").await;
            setting.known.insert(3, rubicon.clone());
            setting.ids.insert("rubicon", rubicon);
        }
        Kind::Awards => awards_setting(app).await,
        Kind::Payments => {
            let core = app.stream("CORE", "2022-23", "100000.00").await;
            let vru = app.stream("VRU", "2022-23", "100000.00").await;
            let provider = app.provider("Dandelion Time").await;
            let grant = awarded(app, &provider, "GRANT-1", &[(&core, "1000.00")]).await;
            let split = awarded(
                app,
                &provider,
                "SPLIT-1",
                &[(&core, "600.00"), (&vru, "400.00")],
            )
            .await;
            setting.ids.extend([
                ("core", core),
                ("vru", vru),
                ("grant", grant),
                ("split", split),
            ]);
        }
        Kind::OutcomeReturns => {
            let token = app.commissioner();
            let stream = app.stream("VSS", "2022-23", "100000.00").await;
            let measure = json!({"funding_stream_id": stream, "code": "better_cope",
                                 "label": "Feel better able to cope", "unit": "people"});
            app.post("outcome-measures", &token, measure)
                .await
                .expect(201);
            let provider = app.provider("Dandelion Time").await;
            awarded(app, &provider, "GRANT-1", &[(&stream, "35000.00")]).await;
        }
    }
    setting
}

/// What a kind's import stores, read back: unchanged by a dry run.
async fn stored(app: &TestApp, kind: Kind, setting: &Setting) -> Vec<Value> {
    let collection = match kind {
        Kind::FundingStreams => "funding-streams",
        Kind::Providers => "providers",
        Kind::Awards => "contracts",
        Kind::OutcomeReturns => "outcome-returns",
        Kind::Payments => {
            let mut payments = Vec::new();
            for contract in ["grant", "split"] {
                let path = format!("contracts/{}/payments", setting.id(contract));
                payments.push(app.get(&path, &app.finance()).await.expect(200).body);
            }
            return payments;
        }
    };
    let page = app
        .get(&format!("{collection}?limit=500"), &app.commissioner())
        .await
        .expect(200);
    page.body["items"].as_array().expect("items").clone()
}

fn other_format(media: &str) -> &'static str {
    if media == CSV {
        XLSX
    } else {
        CSV
    }
}

/// Each kind's file, from its organisation's first import of it to
/// importing it again, then what is particular to the kind.
async fn each_kind_is_imported_once(backend: Backend) {
    for case in CASES {
        let app = spawn_app(backend).await;
        let setting = setting(&app, case.kind).await;
        let ids = lifecycle(&app, case, &setting).await;
        match case.kind {
            Kind::FundingStreams => funding_streams_are_matched_by_code(&app, &ids).await,
            Kind::Providers => {
                providers_are_found_by_number_else_by_name(&app, &setting, &ids).await
            }
            Kind::Awards => awards_are_contracts_with_their_lines(&app, backend, &ids).await,
            Kind::Payments => {
                payments_name_the_stream_when_a_contract_draws_on_two(&app, &setting, &ids).await
            }
            Kind::OutcomeReturns => outcome_returns_walk_the_workflow(&app, &ids).await,
        }
    }
}

/// The lifecycle every kind's file goes through; returns the ids the
/// import made or matched, one per row.
async fn lifecycle(app: &TestApp, case: &Case, setting: &Setting) -> Vec<Value> {
    let kind = case.kind.path();
    let token = case.kind.importer(app);
    let (file, book) = (csv(case.rows), workbook(kind, case.rows));
    let file_as = |media: &str| if media == CSV { &file } else { &book };
    let rows = u64::try_from(case.outcomes.len()).expect("a few rows");
    assert_eq!(
        case.rows.len(),
        case.outcomes.len() + 1,
        "{kind}: an outcome per row"
    );
    let expected: Vec<(u64, String)> = (2..)
        .zip(case.outcomes.iter().map(|o| (*o).to_owned()))
        .collect();
    let count = |outcome: &str| {
        u64::try_from(case.outcomes.iter().filter(|o| **o == outcome).count()).expect("a count")
    };
    let (created, updated) = (count("created"), count("updated"));
    let before = stored(app, case.kind, setting).await;
    let audited = total(app, "audit-events").await;

    // A dry run answers what would happen, CSV and XLSX alike, and keeps nothing.
    let dry = dry_run(
        app,
        kind,
        &token,
        case.dry_run_first,
        file_as(case.dry_run_first),
    )
    .await
    .expect(200);
    assert_eq!(dry.body["dry_run"], true, "{kind}");
    assert_eq!(dry.body["rows"].as_u64(), Some(rows), "{kind}");
    assert_eq!(outcomes(&dry), expected, "{kind}");
    assert_eq!(counts(&dry), (created, updated, 0), "{kind}");
    // The ids of the records it would create are null; a matched one's is its own.
    let would: Vec<Value> = (2..)
        .take(case.outcomes.len())
        .map(|row| setting.known.get(&row).map_or(Value::Null, |id| json!(id)))
        .collect();
    assert_eq!(ids(&dry), would, "{kind}");
    let second = other_format(case.dry_run_first);
    let dry_again = dry_run(app, kind, &token, second, file_as(second))
        .await
        .expect(200);
    assert_eq!(dry_again.body, dry.body, "{kind}: as {second}");
    assert_eq!(
        stored(app, case.kind, setting).await,
        before,
        "{kind}: the dry run kept nothing"
    );
    assert_eq!(total(app, "audit-events").await, audited, "{kind}");
    assert!(import_events(app).await.is_empty(), "{kind}");

    // The import does what the dry run said, with the ids it made.
    let done = import(app, kind, &token, case.import_as, file_as(case.import_as))
        .await
        .expect(200);
    assert_eq!(done.body["dry_run"], false, "{kind}");
    assert_eq!(outcomes(&done), expected, "{kind}");
    assert_eq!(counts(&done), (created, updated, 0), "{kind}");
    let ids_done = ids(&done);
    assert!(
        ids_done.iter().all(Value::is_string),
        "{kind}: {}",
        done.body
    );
    for (row, id) in &setting.known {
        let index = usize::try_from(row - 2).expect("a row");
        assert_eq!(
            ids_done[index],
            json!(id),
            "{kind}: row {row} is the record made first"
        );
    }
    // One audit event, naming every row, and none per record.
    let events = import_events(app).await;
    assert_eq!(events.len(), 1, "{kind}");
    assert_eq!(total(app, "audit-events").await, audited + 1, "{kind}");
    assert_eq!(events[0]["action"], "import", "{kind}");
    assert_eq!(events[0]["actor"], "tester", "{kind}");
    assert_eq!(events[0]["after"]["created"], created, "{kind}");
    let last = case.outcomes.len() - 1;
    assert_eq!(
        events[0]["after"]["results"][last]["id"], ids_done[last],
        "{kind}"
    );

    // The same file again, in either format, changes and records nothing.
    for media in [CSV, XLSX] {
        let again = import(app, kind, &token, media, file_as(media))
            .await
            .expect(200);
        assert_eq!(counts(&again), (0, 0, rows), "{kind} again as {media}");
        assert_eq!(ids(&again), ids_done, "{kind} again as {media}");
    }
    assert_eq!(import_events(app).await.len(), 1, "{kind}");
    assert_eq!(total(app, "audit-events").await, audited + 1, "{kind}");
    ids_done
}

const STREAM_HEADER: &[&str] = &[
    "code",
    "name",
    "funder",
    "ringfenced",
    "financial_year",
    "budget",
    "budget_status",
];

const STREAM_ROWS: Rows<'static> = &[
    STREAM_HEADER,
    &[
        "VSS",
        "Victims Specialist Services",
        "Ministry of Justice",
        "TRUE",
        "2022-23",
        "213940.00",
        "confirmed",
    ],
    &[
        "VSS",
        "Victims Specialist Services",
        "Ministry of Justice",
        "TRUE",
        "2023-24",
        "220000",
        "Indicative",
    ],
    &[
        "SSF4",
        "Safer Streets round 4",
        "Home Office",
        "no",
        "2022-23",
        "589042.5",
        "confirmed",
    ],
];

/// Streams: one row per stream and year, matched by code.
async fn funding_streams_are_matched_by_code(app: &TestApp, ids_done: &[Value]) {
    let token = app.commissioner();
    assert_eq!(ids_done[0], ids_done[1], "two rows of one stream");
    assert_ne!(ids_done[0], ids_done[2]);
    let vss = app
        .get(
            &format!("funding-streams/{}", ids_done[0].as_str().expect("an id")),
            &token,
        )
        .await
        .expect(200);
    assert_eq!(vss.body["ringfenced"], true);
    assert_eq!(vss.body["budgets"][0]["budget"], "213940.00");
    assert_eq!(vss.body["budgets"][1]["budget"], "220000.00");
    assert_eq!(vss.body["budgets"][1]["status"], "indicative");
    let ssf = app
        .get(
            &format!("funding-streams/{}", ids_done[2].as_str().expect("an id")),
            &token,
        )
        .await
        .expect(200);
    assert_eq!(
        (&ssf.body["ringfenced"], &ssf.body["budgets"][0]["budget"]),
        (&json!(false), &json!("589042.50"))
    );

    // A corrected budget and a new year.
    let changed: Rows<'_> = &[
        STREAM_HEADER,
        &[
            "VSS",
            "Victims Specialist Services",
            "Ministry of Justice",
            "true",
            "2022-23",
            "213940.00",
            "confirmed",
        ],
        &[
            "VSS",
            "Victims Specialist Services",
            "Ministry of Justice",
            "true",
            "2023-24",
            "225000.00",
            "confirmed",
        ],
        &[
            "VSS",
            "Victims Specialist Services",
            "Ministry of Justice",
            "true",
            "2024-25",
            "230000.00",
            "indicative",
        ],
    ];
    let next = import(app, "funding-streams", &token, CSV, &csv(changed))
        .await
        .expect(200);
    assert_eq!(
        outcomes(&next),
        [
            (2, "unchanged".to_owned()),
            (3, "updated".to_owned()),
            (4, "created".to_owned())
        ]
    );
    let vss = app
        .get(
            &format!("funding-streams/{}", ids_done[0].as_str().expect("an id")),
            &token,
        )
        .await
        .expect(200);
    let budgets: Vec<(&str, &str)> = vss.body["budgets"]
        .as_array()
        .expect("budgets")
        .iter()
        .map(|b| {
            (
                b["budget"].as_str().expect("a budget"),
                b["status"].as_str().expect("a status"),
            )
        })
        .collect();
    assert_eq!(
        budgets,
        [
            ("213940.00", "confirmed"),
            ("225000.00", "confirmed"),
            ("230000.00", "indicative")
        ]
    );
    assert_eq!(import_events(app).await.len(), 2);
}

const PROVIDER_HEADER: &[&str] = &[
    "name",
    "kind",
    "charity_number",
    "company_number",
    "contact_email",
];

/// Dandelion Time is new; Rubicon Cares (made first) is found by name, case
/// and spacing ignored; Kent County Council is new.
const PROVIDER_ROWS: Rows<'static> = &[
    PROVIDER_HEADER,
    &[
        "Dandelion Time",
        "charity",
        "1150222",
        "",
        "hello@dandelion.example",
    ],
    &["rubicon  cares", "charity", "", "", ""],
    &["Kent County Council", "local_authority", "", "", ""],
];

/// Providers: found by number, else by name; an empty cell keeps what is
/// stored; one provider twice in a file is refused.
async fn providers_are_found_by_number_else_by_name(
    app: &TestApp,
    setting: &Setting,
    ids_done: &[Value],
) {
    let token = app.commissioner();
    let rubicon = setting.id("rubicon");
    assert_eq!(total(app, "providers").await, 3);
    let dandelion = ids_done[0].as_str().expect("an id").to_owned();
    let read = app
        .get(&format!("providers/{dandelion}"), &token)
        .await
        .expect(200);
    assert_eq!(read.body["org_ids"], json!(["GB-CHC-1150222"]));
    assert_eq!(read.body["contact_email"], "hello@dandelion.example");

    // Found by number, whatever the name says; an empty cell keeps what is stored.
    let changed: Rows<'_> = &[
        PROVIDER_HEADER,
        &["Dandelion Time Trust", "charity", "1150222", "", ""],
        &["Rubicon Cares", "charity", "1123456", "", ""],
    ];
    let next = import(app, "providers", &token, CSV, &csv(changed))
        .await
        .expect(200);
    assert_eq!(ids(&next), [json!(dandelion), json!(rubicon)]);
    assert_eq!(counts(&next), (0, 2, 0));
    let read = app
        .get(&format!("providers/{dandelion}"), &token)
        .await
        .expect(200);
    assert_eq!(
        (&read.body["name"], &read.body["contact_email"]),
        (
            &json!("Dandelion Time Trust"),
            &json!("hello@dandelion.example")
        )
    );

    // One provider twice in a file, and bad cells, are refused with their rows.
    let bad: Rows<'_> = &[
        PROVIDER_HEADER,
        &["Dads Unlimited", "charity", "", "", ""],
        &["DADS UNLIMITED", "charity", "", "", ""],
        &["Choices", "bank", "12", "", "not-an-email"],
    ];
    let errors = refused(import(app, "providers", &token, CSV, &csv(bad)).await);
    assert_eq!(
        errors,
        [
            (3, None),
            at(4, "kind"),
            at(4, "charity_number"),
            at(4, "contact_email")
        ]
    );
    assert_eq!(total(app, "providers").await, 3);
}

const PAYMENT_HEADER: &[&str] = &[
    "contract_reference",
    "paid_on",
    "amount",
    "reference",
    "funding_stream_code",
];

/// GRANT-1 draws on CORE alone; SPLIT-1 on CORE and VRU, so its rows name
/// the stream.
const PAYMENT_ROWS: Rows<'static> = &[
    PAYMENT_HEADER,
    &["GRANT-1", "2022-07-15", "250.00", "INV-1", ""],
    &["SPLIT-1", "2022-07-20", "100", "INV-2", "VRU"],
    &["SPLIT-1", "2023-01-10", "50.5", "", "CORE"],
];

/// Payments: each from the stream its row names (or the contract's one),
/// by the quarter of its day, within the contract's value.
async fn payments_name_the_stream_when_a_contract_draws_on_two(
    app: &TestApp,
    setting: &Setting,
    _ids_done: &[Value],
) {
    let finance = app.finance();
    let (grant, split) = (setting.id("grant"), setting.id("split"));
    let (core, vru) = (setting.id("core"), setting.id("vru"));
    let paid = app
        .get(&format!("contracts/{split}/payments"), &finance)
        .await
        .expect(200);
    let paid: Vec<(&str, &str, &str, &str, &Value)> = paid
        .body
        .as_array()
        .expect("payments")
        .iter()
        .map(|p| {
            (
                p["amount"].as_str().expect("an amount"),
                p["funding_stream_id"].as_str().expect("a stream"),
                p["quarter"].as_str().expect("a quarter"),
                p["recorded_by"].as_str().expect("who"),
                &p["reference"],
            )
        })
        .collect();
    assert_eq!(
        paid,
        [
            ("100.00", vru, "Q2", "tester", &json!("INV-2")),
            ("50.50", core, "Q4", "tester", &Value::Null)
        ]
    );
    let read = app
        .get(&format!("contracts/{grant}"), &finance)
        .await
        .expect(200);
    assert_eq!(read.body["paid"], "250.00");

    // Payments stay within the contract's value, counting the file's own.
    let over: Rows<'_> = &[
        PAYMENT_HEADER,
        &["GRANT-1", "2022-08-01", "700.00", "INV-4", ""],
        &["GRANT-1", "2022-09-01", "100.00", "INV-5", ""],
    ];
    let errors = refused(import(app, "payments", &finance, CSV, &csv(over)).await);
    assert_eq!(errors, [at(3, "amount")]);
}

/// A payment for a contract drawing on two streams must name one; an
/// unknown contract and a payment twice in a file are refused; nothing of
/// the file is stored.
async fn payment_rows_are_refused_with_their_row(backend: Backend) {
    let app = spawn_app(backend).await;
    let setting = setting(&app, Kind::Payments).await;
    let finance = app.finance();
    let unnamed: Rows<'_> = &[
        PAYMENT_HEADER,
        &["GRANT-1", "2022-07-15", "250.00", "INV-1", ""],
        &["SPLIT-1", "2022-07-20", "100", "INV-2", ""],
        &["NOPE-1", "2022-07-20", "100", "INV-3", ""],
        &["GRANT-1", "2022-07-15", "250.00", "INV-1", ""],
    ];
    let errors = refused(import(&app, "payments", &finance, CSV, &csv(unnamed)).await);
    assert_eq!(
        errors,
        [
            at(3, "funding_stream_code"),
            at(4, "contract_reference"),
            (5, None)
        ]
    );
    let paid = app
        .get(
            &format!("contracts/{}/payments", setting.id("grant")),
            &finance,
        )
        .await
        .expect(200);
    assert_eq!(paid.body, json!([]), "nothing stored");
}

const RETURN_HEADER: &[&str] = &[
    "contract_reference",
    "financial_year",
    "quarter",
    "referrals",
    "people_supported",
    "spend",
    "status",
    "received_on",
    "better_cope",
];

/// GRANT-1's Q1 accepted, Q2 submitted, Q3 a draft reporting nothing.
const RETURN_ROWS: Rows<'static> = &[
    RETURN_HEADER,
    &[
        "GRANT-1",
        "2022-23",
        "Q1",
        "12",
        "9",
        "8750.00",
        "accepted",
        "2022-07-20",
        "7",
    ],
    &[
        "GRANT-1",
        "2022-23",
        "q2",
        "10",
        "8",
        "8000",
        "submitted",
        "2022-10-25",
        "6",
    ],
    &["GRANT-1", "2022-23", "Q3", "", "", "", "draft", "", ""],
];

/// Returns: each walked through the workflow to its row's status, with a
/// version per step; an accepted return is locked, a draft amended.
async fn outcome_returns_walk_the_workflow(app: &TestApp, ids_done: &[Value]) {
    let token = app.commissioner();
    let [q1, q2, q3] = [0, 1, 2].map(|i| ids_done[i].as_str().expect("an id").to_owned());
    let read = app
        .get(&format!("outcome-returns/{q1}"), &token)
        .await
        .expect(200);
    assert_eq!(read.body["status"], "accepted");
    assert_eq!(read.body["received_on"], "2022-07-20");
    assert_eq!(read.body["spend"], "8750.00");
    assert_eq!(
        read.body["values"],
        json!([{"code": "better_cope", "label": "Feel better able to cope", "unit": "people", "value": 7}])
    );
    let versions = app
        .get(&format!("outcome-returns/{q1}/versions"), &token)
        .await
        .expect(200);
    let steps: Vec<(&str, &str, &str)> = versions
        .body
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| {
            (
                v["event"].as_str().expect("an event"),
                v["actor"].as_str().expect("an actor"),
                v["actor_role"].as_str().expect("a role"),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("created", "tester", "commissioner"),
            ("submitted", "tester", "commissioner"),
            ("accepted", "tester", "commissioner")
        ]
    );
    let read = app
        .get(&format!("outcome-returns/{q3}"), &token)
        .await
        .expect(200);
    assert_eq!(
        (
            &read.body["status"],
            &read.body["referrals"],
            &read.body["values"][0]["value"]
        ),
        (&json!("draft"), &Value::Null, &Value::Null),
        "an empty cell is not reported, not zero"
    );

    // An accepted return is locked; a queried one cannot go back to draft…
    let locked: Rows<'_> = &[
        RETURN_HEADER,
        &[
            "GRANT-1",
            "2022-23",
            "Q1",
            "13",
            "9",
            "8750.00",
            "accepted",
            "2022-07-20",
            "7",
        ],
        &[
            "GRANT-1",
            "2022-23",
            "Q2",
            "10",
            "8",
            "8000.00",
            "draft",
            "2022-10-25",
            "6",
        ],
        &[
            "GRANT-1",
            "2022-23",
            "Q4",
            "1",
            "1",
            "10.00",
            "submitted",
            "",
            "",
        ],
        &[
            "GRANT-1",
            "2022-23",
            "Q3",
            "1",
            "1",
            "10.00",
            "draft",
            "2099-01-01",
            "1",
        ],
    ];
    let errors = refused(import(app, "outcome-returns", &token, CSV, &csv(locked)).await);
    assert_eq!(
        errors,
        [
            (2, None),
            at(3, "status"),
            at(4, "better_cope"),
            at(5, "received_on")
        ]
    );
    // …a draft is amended and submitted, a submitted one accepted.
    let moved: Rows<'_> = &[
        RETURN_HEADER,
        &[
            "GRANT-1",
            "2022-23",
            "Q2",
            "10",
            "8",
            "8000.00",
            "accepted",
            "2022-10-25",
            "6",
        ],
        &[
            "GRANT-1",
            "2022-23",
            "Q3",
            "4",
            "3",
            "120.00",
            "submitted",
            "",
            "2",
        ],
    ];
    let next = import(app, "outcome-returns", &token, CSV, &csv(moved))
        .await
        .expect(200);
    assert_eq!(counts(&next), (0, 2, 0));
    for (id, expected) in [
        (&q2, ["created", "submitted", "accepted"].as_slice()),
        (&q3, &["created", "amended", "submitted"]),
    ] {
        let versions = app
            .get(&format!("outcome-returns/{id}/versions"), &token)
            .await
            .expect(200);
        let events: Vec<&str> = versions
            .body
            .as_array()
            .expect("versions")
            .iter()
            .map(|v| v["event"].as_str().expect("an event"))
            .collect();
        assert_eq!(events, expected);
    }
    let read = app
        .get(&format!("outcome-returns/{q3}"), &token)
        .await
        .expect(200);
    assert_eq!(
        (&read.body["status"], &read.body["referrals"]),
        (&json!("submitted"), &json!(4))
    );

    // Measure columns are the organisation's measures.
    let unknown: Rows<'_> = &[&[
        "contract_reference",
        "financial_year",
        "quarter",
        "referrals",
        "people_supported",
        "spend",
        "status",
        "received_on",
        "no_such",
        "two words",
    ]];
    let errors = refused(import(app, "outcome-returns", &token, CSV, &csv(unknown)).await);
    assert_eq!(errors, [at(1, "two words")]);
    let errors = refused(
        import(
            app,
            "outcome-returns",
            &token,
            CSV,
            &csv(&[&unknown[0][..9]]),
        )
        .await,
    );
    assert_eq!(errors, [at(1, "no_such")]);
}

/// Awards: rows of one reference are one contract; a single row's stream
/// funds it all, profiled over its years; a draft commits nothing.
async fn awards_are_contracts_with_their_lines(app: &TestApp, backend: Backend, ids: &[Value]) {
    let token = app.commissioner();
    assert_eq!(ids[2], ids[3], "two rows, one contract");
    assert_eq!(total(app, "contracts").await, 3);
    let a2 = app
        .get(
            &format!("contracts/{}", ids[1].as_str().unwrap_or_default()),
            &token,
        )
        .await
        .expect(200);
    assert_eq!(a2.body["status"], "active");
    // 731 days: 365 in 2022-23, 366 in 2023-24.
    let amounts: Vec<&str> = a2.body["funding_lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["amount"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(amounts, ["29958.96", "30041.04"]);
    let a3 = app
        .get(
            &format!("contracts/{}", ids[2].as_str().unwrap_or_default()),
            &token,
        )
        .await
        .expect(200);
    assert_eq!(
        (&a3.body["status"], &a3.body["funded"]),
        (&json!("draft"), &json!("20000.00"))
    );
    let figures = committed(app).await;
    assert_eq!(
        figures,
        [
            line("CSF", "2022-23", "29958.96"),
            line("CSF", "2023-24", "30041.04"),
            line("VSS", "2022-23", "30000.00")
        ],
        "the draft commits nothing"
    );

    // A workbook into a fresh organisation gives the same year.
    let other = spawn_app(backend).await;
    awards_setting(&other).await;
    import(
        &other,
        "awards",
        &other.commissioner(),
        XLSX,
        &workbook("awards", AWARDS),
    )
    .await
    .expect(200);
    assert_eq!(committed(&other).await, figures);
}

async fn a_file_with_bad_rows_stores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "1000.00").await;
    let provider = app.provider("Dandelion Time").await;
    let grant = app.grant(&provider, &stream, "600.00").await;
    app.activate(&grant).await.expect(200);
    let audited = total(&app, "audit-events").await;

    let rows: Rows<'_> = &[
        STREAM_HEADER,
        &[
            "NEW",
            "A good row",
            "Home Office",
            "true",
            "2022-23",
            "10.00",
            "confirmed",
        ],
        &[
            "VSS",
            "Stream VSS",
            "Ministry of Justice",
            "true",
            "2022-23",
            "500.00",
            "confirmed",
        ],
        &[
            "bad code",
            "Stream",
            "Home Office",
            "maybe",
            "2022-24",
            "1.234",
            "approved",
        ],
        &["", "", "", "", "", "", ""],
        &[
            "NEW",
            "A good row renamed",
            "Home Office",
            "true",
            "2023-24",
            "10.00",
            "confirmed",
        ],
    ];
    for (media, file) in [(CSV, csv(rows)), (XLSX, workbook("funding-streams", rows))] {
        let errors = refused(import(&app, "funding-streams", &token, media, &file).await);
        assert_eq!(
            errors,
            [
                // Over what awards already commit for the year.
                at(3, "budget"),
                at(4, "code"),
                at(4, "ringfenced"),
                at(4, "financial_year"),
                at(4, "budget"),
                at(4, "budget_status"),
                // The empty row 5 is skipped, and still counted.
                at(6, "name"),
            ],
            "{media}"
        );
    }
    assert_eq!(total(&app, "funding-streams?code=NEW").await, 0);
    let vss = app
        .get(&format!("funding-streams/{stream}"), &token)
        .await
        .expect(200);
    assert_eq!(vss.body["budgets"][0]["budget"], "1000.00");
    assert_eq!(total(&app, "audit-events").await, audited);

    // Columns: one unknown, one missing; both said at the header's row.
    let file = csv(&[&[
        "code",
        "name",
        "funder",
        "ringfenced",
        "financial_year",
        "budget",
        "colour",
    ]]);
    let errors = refused(import(&app, "funding-streams", &token, CSV, &file).await);
    assert_eq!(errors, [at(1, "colour"), at(1, "budget_status")]);
    // A file that is not one at all.
    import(&app, "funding-streams", &token, XLSX, b"not a workbook")
        .await
        .expect_problem(422, Some("body"));
}

async fn only_csv_and_xlsx_are_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let reply = app
        .upload("imports/providers", &token, "application/json", b"{}", None)
        .await
        .expect_problem(415, None);
    let detail = reply.str("detail");
    assert!(
        detail.contains(CSV) && detail.contains(XLSX) && detail.contains(OCTET_STREAM),
        "{detail}"
    );
    app.upload(
        "imports/providers",
        &token,
        "text/plain",
        b"name,kind\n",
        None,
    )
    .await
    .expect_problem(415, None);
    // A kind there is not.
    app.upload("imports/contracts", &token, CSV, b"name,kind\n", None)
        .await
        .expect_problem(404, None);
    // UTF-8 with a byte-order mark, and a header alone: nothing to do.
    let bom = "\u{feff}name,kind,charity_number,company_number\r\n";
    let reply = import(
        &app,
        "providers",
        &token,
        "text/csv; charset=utf-8",
        bom.as_bytes(),
    )
    .await
    .expect(200);
    assert_eq!(
        (reply.body["rows"].as_u64(), counts(&reply)),
        (Some(0), (0, 0, 0))
    );
    assert_eq!(import_events(&app).await.len(), 0);
    // A query parameter there is not.
    app.upload("imports/providers?dry=1", &token, CSV, bom.as_bytes(), None)
        .await
        .expect_problem(422, Some("dry"));
}

/// A file sent as `application/octet-stream`, as generated clients send
/// one, is told CSV or XLSX by its content: an XLSX file is a zip.
async fn octet_stream_uploads_are_told_apart_by_content(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let header = &PROVIDER_HEADER[..4];
    let as_csv = csv(&[header, &["Dandelion Time", "charity", "1150222", ""]]);
    let as_xlsx = workbook(
        "providers",
        &[header, &["Rubicon Cares", "charity", "1123456", ""]],
    );
    for (what, file) in [("CSV", &as_csv), ("XLSX", &as_xlsx)] {
        let done = import(&app, "providers", &token, OCTET_STREAM, file)
            .await
            .expect(200);
        assert_eq!(counts(&done), (1, 0, 0), "{what}: {}", done.body);
    }
    assert_eq!(total(&app, "providers").await, 2);
    // Read again as what they are: the same rows, unchanged.
    let again = import(&app, "providers", &token, CSV, &as_csv)
        .await
        .expect(200);
    assert_eq!(counts(&again), (0, 0, 1));
    let again = import(&app, "providers", &token, XLSX, &as_xlsx)
        .await
        .expect(200);
    assert_eq!(counts(&again), (0, 0, 1));
    // A zip that is no workbook is refused as a workbook would be.
    import(
        &app,
        "providers",
        &token,
        OCTET_STREAM,
        b"PK\x03\x04not a workbook",
    )
    .await
    .expect_problem(422, Some("body"));
    assert_eq!(total(&app, "providers").await, 2);
}

/// The five templates, in the order they import: one example year.
const TEMPLATE_ORDER: [Kind; 5] = [
    Kind::FundingStreams,
    Kind::Providers,
    Kind::Awards,
    Kind::Payments,
    Kind::OutcomeReturns,
];

/// Each template as CSV and as XLSX: a header and one example row.
async fn templates(app: &TestApp, kind: Kind) -> (Vec<u8>, Vec<u8>) {
    let who = kind.importer(app);
    let kind = kind.path();
    let (status, text) = app
        .get_text(&format!("imports/{kind}/template"), &who, "text/csv")
        .await;
    assert_eq!(status, 200, "{kind}: {text}");
    assert_eq!(
        text.lines().count(),
        2,
        "{kind}: a header and one example: {text}"
    );
    let (status, media, book) = app
        .get_bytes(&format!("imports/{kind}/template?format=xlsx"), &who, "*/*")
        .await;
    assert_eq!((status, media.as_str()), (200, XLSX), "{kind}");
    let (_, _, asked) = app
        .get_bytes(&format!("imports/{kind}/template"), &who, XLSX)
        .await;
    assert_eq!(asked, book, "{kind}: Accept asks for the workbook");
    (text.into_bytes(), book)
}

/// The templates are one consistent example year: on a fresh organisation,
/// each imports as it is, in order, creating its row, from CSV and from
/// XLSX alike; and each workbook is the same row as its CSV.
async fn the_templates_are_one_example_year(backend: Backend) {
    for media in [CSV, XLSX] {
        let app = spawn_app(backend).await;
        for template in TEMPLATE_ORDER {
            let (text, book) = templates(&app, template).await;
            let (kind, who) = (template.path(), template.importer(&app));
            let file = if media == CSV { &text } else { &book };
            let done = import(&app, kind, &who, media, file).await.expect(200);
            assert_eq!(counts(&done), (1, 0, 0), "{kind} as {media}: {}", done.body);
            let other = if media == CSV {
                (XLSX, &book)
            } else {
                (CSV, &text)
            };
            let again = import(&app, kind, &who, other.0, other.1).await.expect(200);
            assert_eq!(
                counts(&again),
                (0, 0, 1),
                "{kind}: the {} template is the same row",
                other.0
            );
        }
        // The year the templates make: the stream's award, paid and reported on.
        let report = app
            .get("reports/budget?financial_year=2022-23", &app.finance())
            .await
            .expect(200);
        assert_eq!(report.body["total"]["committed"], "35000.00", "{media}");
        assert_eq!(report.body["total"]["paid"], "8750.00", "{media}");
        let returns = app
            .get("outcome-returns?status=submitted", &app.commissioner())
            .await
            .expect(200);
        assert_eq!(returns.body["total"], 1, "{media}: {}", returns.body);
    }
}

async fn who_may_import_what(backend: Backend) {
    let app = spawn_app(backend).await;
    let provider = app.provider("Rubicon Cares").await;
    let header = |kind: &str| -> Vec<u8> {
        let columns = match kind {
            "funding-streams" => STREAM_HEADER,
            "providers" => &PROVIDER_HEADER[..4],
            "payments" => &PAYMENT_HEADER[..4],
            _ => &RETURN_HEADER[..8],
        };
        csv(&[columns])
    };
    let tokens = [
        ("admin", app.token(Role::Admin)),
        ("commissioner", app.commissioner()),
        ("finance", app.finance()),
        ("provider", app.provider_token(&provider)),
    ];
    for (kind, allowed) in [
        ("funding-streams", ["admin", "commissioner"]),
        ("providers", ["admin", "commissioner"]),
        ("payments", ["admin", "finance"]),
        ("outcome-returns", ["admin", "commissioner"]),
    ] {
        for (role, token) in &tokens {
            let expected = if allowed.contains(role) { 200 } else { 403 };
            let reply = import(&app, kind, token, CSV, &header(kind)).await;
            assert_eq!(
                reply.status.as_u16(),
                expected,
                "{role} importing {kind}: {}",
                reply.body
            );
            let (status, _) = app
                .get_text(&format!("imports/{kind}/template"), token, "text/csv")
                .await;
            assert_eq!(status, expected, "{role} reading the {kind} template");
        }
    }
}

async fn an_import_runs_once_per_idempotency_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let file = csv(&[
        &PROVIDER_HEADER[..4],
        &["Dandelion Time", "charity", "1150222", ""],
    ]);
    let first = app
        .upload("imports/providers", &token, CSV, &file, Some("import-1"))
        .await
        .expect(200);
    let replay = app
        .upload("imports/providers", &token, CSV, &file, Some("import-1"))
        .await
        .expect(200);
    assert!(replay.replayed);
    assert_eq!(replay.body, first.body, "the first answer, not 'unchanged'");
    // A dry run is another request.
    app.upload(
        "imports/providers?dry_run=true",
        &token,
        CSV,
        &file,
        Some("import-1"),
    )
    .await
    .expect_problem(422, Some("Idempotency-Key"));
    assert_eq!(total(&app, "providers").await, 1);
    assert_eq!(import_events(&app).await.len(), 1);
}

const AWARDS_HEADER: &[&str] = &[
    "reference",
    "provider",
    "kind",
    "title",
    "start_date",
    "end_date",
    "value",
    "funding_stream_code",
    "financial_year",
    "amount",
    "status",
];

/// VSS with 100,000.00 in 2022-23; CSF with 50,000.00 in 2022-23 and in
/// 2023-24; two providers.
async fn awards_setting(app: &TestApp) {
    let token = app.commissioner();
    app.stream("VSS", "2022-23", "100000.00").await;
    app.post(
        "funding-streams",
        &token,
        json!({"code": "CSF", "name": "Community safety", "funder": "OPCC",
               "budgets": [
                   {"financial_year": "2022-23", "amount": "50000.00", "status": "confirmed"},
                   {"financial_year": "2023-24", "amount": "50000.00", "status": "confirmed"}]}),
    )
    .await
    .expect(201);
    app.post(
        "providers",
        &token,
        json!({"name": "Rubicon Cares", "kind": "charity", "charity_number": "1123456"}),
    )
    .await
    .expect(201);
    app.provider("Dads Unlimited").await;
}

const AWARDS: &[&[&str]] = &[
    AWARDS_HEADER,
    &[
        "A1",
        "1123456",
        "grant",
        "Advocacy",
        "2022-04-01",
        "2023-03-31",
        "30000.00",
        "VSS",
        "2022-23",
        "30000.00",
        "active",
    ],
    // By name, case and spacing ignored; the stream funds it all, profiled.
    &[
        "A2",
        "dads  unlimited",
        "contract",
        "Fathers' support",
        "2022-04-01",
        "2024-03-31",
        "60000.00",
        "CSF",
        "",
        "",
        "active",
    ],
    // Part-funded by two streams, left a draft.
    &[
        "A3",
        "Rubicon Cares",
        "contract",
        "Outreach",
        "2022-04-01",
        "2023-03-31",
        "20000.00",
        "VSS",
        "2022-23",
        "12000.00",
        "draft",
    ],
    &[
        "A3",
        "Rubicon Cares",
        "contract",
        "Outreach",
        "2022-04-01",
        "2023-03-31",
        "20000.00",
        "CSF",
        "2022-23",
        "8000.00",
        "draft",
    ],
];

/// Each stream's (code, year, committed) in the budget report.
async fn committed(app: &TestApp) -> Vec<(String, String, String)> {
    let report = app
        .get("reports/budget?from=2022-23&to=2023-24", &app.finance())
        .await
        .expect(200);
    report.body["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .map(|l| {
            (
                l["funding_stream_code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                l["financial_year"].as_str().unwrap_or_default().to_owned(),
                l["committed"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn line(code: &str, year: &str, amount: &str) -> (String, String, String) {
    (code.into(), year.into(), amount.into())
}

async fn award_rows_are_refused_with_their_row_and_column(backend: Backend) {
    let app = spawn_app(backend).await;
    awards_setting(&app).await;
    let token = app.commissioner();
    let bad: &[&[&str]] = &[
        AWARDS_HEADER,
        &[
            "B1",
            "Nobody Known",
            "grant",
            "x",
            "2022-04-01",
            "2023-03-31",
            "10.00",
            "VSS",
            "2022-23",
            "10.00",
            "active",
        ],
        &[
            "B2",
            "1123456",
            "grant",
            "x",
            "2022-04-01",
            "2023-03-31",
            "10.00",
            "NOPE",
            "2022-23",
            "10.00",
            "active",
        ],
        &[
            "B3",
            "1123456",
            "grant",
            "x",
            "2022-04-01",
            "2023-02-30",
            "10.00",
            "VSS",
            "2022-23",
            "10.00",
            "active",
        ],
        &[
            "B4",
            "1123456",
            "grant",
            "x",
            "2022-04-01",
            "2023-03-31",
            "10.00",
            "VSS",
            "2022-23",
            "10.00",
            "active",
        ],
        &[
            "B4",
            "1123456",
            "grant",
            "other title",
            "2022-04-01",
            "2023-03-31",
            "10.00",
            "CSF",
            "2022-23",
            "10.00",
            "active",
        ],
        &[
            "B5",
            "1123456",
            "grant",
            "x",
            "2022-04-01",
            "2023-03-31",
            "10.00",
            "VSS",
            "2022-23",
            "9.00",
            "active",
        ],
        &[
            "B6",
            "1123456",
            "grant",
            "x",
            "2022-04-01",
            "2023-03-31",
            "10.00",
            "VSS",
            "2022-23",
            "10.00",
            "awarded",
        ],
    ];
    assert_eq!(
        refused(import(&app, "awards", &token, CSV, &csv(bad)).await),
        [
            at(2, "provider"),
            at(3, "funding_stream_code"),
            at(4, "end_date"),
            (6, None),
            at(7, "amount"),
            at(8, "status"),
        ]
    );
    assert_eq!(total(&app, "contracts").await, 0, "nothing stored");

    // An award past a stream's budget names its row; nothing is awarded.
    let over: &[&[&str]] = &[
        AWARDS_HEADER,
        &[
            "C1",
            "1123456",
            "grant",
            "x",
            "2022-04-01",
            "2023-03-31",
            "60000.00",
            "VSS",
            "2022-23",
            "60000.00",
            "active",
        ],
        &[
            "C2",
            "Dads Unlimited",
            "grant",
            "y",
            "2022-04-01",
            "2023-03-31",
            "40000.01",
            "VSS",
            "2022-23",
            "40000.01",
            "active",
        ],
    ];
    let reply = import(&app, "awards", &token, CSV, &csv(over)).await;
    let detail = reply.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(refused(reply), [at(3, "amount")]);
    assert!(detail.contains("budget"), "{detail}");
    assert_eq!(total(&app, "contracts").await, 0);
    // A changed row for a recorded award is refused, not applied.
    import(&app, "awards", &token, CSV, &csv(&over[..2]))
        .await
        .expect(200);
    let changed: &[&[&str]] = &[
        AWARDS_HEADER,
        &[
            "C1",
            "1123456",
            "grant",
            "x",
            "2022-04-01",
            "2023-03-31",
            "60000.00",
            "VSS",
            "2022-23",
            "59000.00",
            "active",
        ],
    ];
    assert_eq!(
        refused(import(&app, "awards", &token, CSV, &csv(changed)).await),
        [at(2, "reference")]
    );
}

/// The brief's year (`../shared/BRIEF.md`) in three requests: its streams,
/// providers and 70 award rows, from `tests/fixtures/brief-year`.
async fn the_briefs_year_loads_in_three_requests(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let fixture = |name: &str| {
        std::fs::read(format!(
            "{}/tests/fixtures/brief-year/{name}.csv",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("the fixture")
    };
    for kind in ["funding-streams", "providers", "awards"] {
        import(&app, kind, &token, CSV, &fixture(kind))
            .await
            .expect(200);
    }
    let report = app
        .get("reports/budget?financial_year=2022-23", &app.finance())
        .await
        .expect(200);
    let lines: Vec<(String, String, String, String)> = report.body["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .map(|l| {
            let text = |f: &str| l[f].as_str().unwrap_or_default().to_owned();
            (
                text("funding_stream_code"),
                text("budget"),
                text("committed"),
                text("uncommitted"),
            )
        })
        .collect();
    let row = |c: &str, b: &str, m: &str, u: &str| {
        (c.to_owned(), b.to_owned(), m.to_owned(), u.to_owned())
    };
    // By hand: seven VSS grants use it all; sixteen MoJ grants of 40,000.00
    // (and Rubicon's 41,234.56) leave 23,305.83; the county lines contract's
    // 51,858.00 from each of OPCC and VRU beside Rubicon's 10,000 and 15,000;
    // Safer Streets' four districts, profiled by days, exactly fill the
    // year's 477,116.57; Women in Justice's 27,164.00 all to Rubicon.
    assert_eq!(
        lines,
        [
            row("MOJ-VICTIMS", "664540.39", "641234.56", "23305.83"),
            row("OPCC", "500000.00", "61858.00", "438142.00"),
            row("SSF4", "477116.57", "477116.57", "0.00"),
            row("VRU", "300000.00", "66858.00", "233142.00"),
            row("VSS", "213940.00", "213940.00", "0.00"),
            row("WIJ", "27164.00", "27164.00", "0.00"),
        ]
    );
    assert_eq!(report.body["total"]["budget"], "2182760.96");
    assert_eq!(report.body["total"]["committed"], "1488171.13");
    // Safer Streets fits every year to the penny, 318,658.14 in 2024-25 too.
    let ssf = app
        .get("reports/budget?from=2023-24&to=2024-25", &app.finance())
        .await
        .expect(200);
    for line in ssf.body["streams"].as_array().expect("streams") {
        if line["funding_stream_code"] == "SSF4" {
            assert_eq!(line["committed"], line["budget"], "{line}");
            assert_eq!(line["uncommitted"], "0.00");
        }
    }
    // One charity under five streams: what do we give them in total?
    let providers = app
        .get("reports/providers?financial_year=2022-23", &app.finance())
        .await
        .expect(200);
    let rubicon = providers.body["providers"]
        .as_array()
        .expect("providers")
        .iter()
        .find(|p| p["provider_name"] == "Rubicon Cares")
        .expect("Rubicon Cares");
    assert_eq!(rubicon["awarded"], "125540.56");
    assert_eq!(rubicon["streams"].as_array().map(Vec::len), Some(5));
}

crate::on_both_backends!(
    each_kind_is_imported_once,
    award_rows_are_refused_with_their_row_and_column,
    the_briefs_year_loads_in_three_requests,
    a_file_with_bad_rows_stores_nothing,
    payment_rows_are_refused_with_their_row,
    only_csv_and_xlsx_are_read,
    the_templates_are_one_example_year,
    who_may_import_what,
    an_import_runs_once_per_idempotency_key,
    octet_stream_uploads_are_told_apart_by_content,
);
