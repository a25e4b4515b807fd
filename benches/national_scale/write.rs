//! Writes a `Dataset` with multi-row `INSERT ... VALUES (...),(...)`
//! statements. The statements are formatted on this thread and executed on
//! a second one with its own connection, so formatting and the database
//! work overlap. Every value is a number, an id, a date or fixed text made
//! here; text is quoted with `'` doubled all the same.
//!
//! The generator's connection alone trades durability for speed
//! (PostgreSQL `synchronous_commit = off`, SQLite `synchronous = OFF`); the
//! service opens its own connections with its normal settings.

use std::fmt::Write as _;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;
use std::time::Instant;

use chrono::{Datelike, NaiveDate};
use commissioning::db::{self, DbConn};
use diesel::connection::SimpleConnection;

use crate::generate::{Dataset, Ids, Kind, ReturnStatus, PROVIDER_KINDS};
use crate::Error;

const ROWS_PER_STATEMENT: usize = 500;
const STATEMENTS_PER_TRANSACTION: usize = 100;

/// The executing side: a thread with its own connection that runs each
/// statement it is sent, committing every `STATEMENTS_PER_TRANSACTION`.
struct Sink {
    sender: Option<SyncSender<String>>,
    worker: Option<JoinHandle<Result<(), String>>>,
}

impl Sink {
    fn open(url: &str) -> Sink {
        let url = url.to_owned();
        let (sender, receiver) = sync_channel::<String>(4);
        let worker = std::thread::spawn(move || -> Result<(), String> {
            let mut conn = db::connect_one(&url).map_err(|e| e.to_string())?;
            let run = |conn: &mut DbConn, sql: &str| {
                conn.batch_execute(sql).map_err(|e| {
                    let head: String = sql.chars().take(300).collect();
                    format!("{e} in: {head}...")
                })
            };
            match conn {
                DbConn::Postgres(_) => {
                    run(&mut conn, "SET synchronous_commit = off")?;
                    // Foreign keys are checked once, afterwards, by
                    // `check_foreign_keys` rather than row by row (which
                    // halves the writing time). Needs a superuser; without
                    // one they are checked row by row.
                    let _ = run(&mut conn, "SET session_replication_role = replica");
                }
                DbConn::Sqlite(_) => run(
                    &mut conn,
                    "PRAGMA synchronous = OFF; PRAGMA cache_size = -1048576; \
                     PRAGMA temp_store = MEMORY",
                )?,
            }
            run(&mut conn, "BEGIN")?;
            let mut in_transaction = 0;
            for sql in receiver {
                run(&mut conn, &sql)?;
                in_transaction += 1;
                if in_transaction == STATEMENTS_PER_TRANSACTION {
                    run(&mut conn, "COMMIT; BEGIN")?;
                    in_transaction = 0;
                }
            }
            run(&mut conn, "COMMIT")
        });
        Sink {
            sender: Some(sender),
            worker: Some(worker),
        }
    }

    fn send(&mut self, sql: String) -> Result<(), Error> {
        let sent = self.sender.as_ref().map(|s| s.send(sql).is_ok());
        if sent == Some(true) {
            Ok(())
        } else {
            // The worker stopped: its result says why.
            self.finish()?;
            Err("the database writer stopped".into())
        }
    }

    /// Waits for every statement sent to be executed and committed.
    fn finish(&mut self) -> Result<(), Error> {
        self.sender.take();
        match self.worker.take() {
            Some(worker) => match worker.join() {
                Ok(result) => result.map_err(Error::from),
                Err(_) => Err("the database writer panicked".into()),
            },
            None => Ok(()),
        }
    }
}

/// One table's rows, gathered into statements of `ROWS_PER_STATEMENT`.
struct Insert<'s> {
    sink: &'s mut Sink,
    table: &'static str,
    head: String,
    sql: String,
    in_statement: usize,
    rows: u64,
}

impl<'s> Insert<'s> {
    fn new(sink: &'s mut Sink, table: &'static str, columns: &str) -> Insert<'s> {
        Insert {
            sink,
            table,
            head: format!("INSERT INTO {table} ({columns}) VALUES "),
            sql: String::new(),
            in_statement: 0,
            rows: 0,
        }
    }

    /// The statement to write the next row's `(...)` into.
    fn row(&mut self) -> Result<&mut String, Error> {
        if self.in_statement == ROWS_PER_STATEMENT {
            self.flush()?;
        }
        if self.in_statement == 0 {
            self.sql.push_str(&self.head);
        } else {
            self.sql.push(',');
        }
        self.in_statement += 1;
        self.rows += 1;
        Ok(&mut self.sql)
    }

    fn flush(&mut self) -> Result<(), Error> {
        if self.in_statement > 0 {
            let capacity = self.sql.len() + self.sql.len() / 8;
            let sql = std::mem::replace(&mut self.sql, String::with_capacity(capacity));
            self.sink.send(sql)?;
            self.in_statement = 0;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(&'static str, u64), Error> {
        self.flush()?;
        Ok((self.table, self.rows))
    }
}

fn id(out: &mut String, ids: &Ids, kind: Kind, index: usize) {
    out.push('\'');
    out.push_str(&ids.id(kind, index));
    out.push('\'');
}

fn text(out: &mut String, value: &str) {
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
}

fn optional_text(out: &mut String, value: Option<&str>) {
    match value {
        Some(v) => text(out, v),
        None => out.push_str("NULL"),
    }
}

fn date(out: &mut String, d: NaiveDate) {
    let _ = write!(out, "'{:04}-{:02}-{:02}'", d.year(), d.month(), d.day());
}

fn timestamp(out: &mut String, d: NaiveDate, hour: u32) {
    let _ = write!(
        out,
        "'{:04}-{:02}-{:02} {hour:02}:00:00'",
        d.year(),
        d.month(),
        d.day()
    );
}

fn optional_int(out: &mut String, value: Option<i32>) {
    match value {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.push_str("NULL"),
    }
}

/// When the organisation and its streams and providers were set up.
fn setup_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 3, 1).expect("a real date")
}

/// The rows `write` writes to each table.
pub fn row_counts(data: &Dataset) -> Vec<(&'static str, u64)> {
    [
        ("organisations", 1),
        ("funding_streams", data.streams.len()),
        ("stream_budgets", data.budgets.len()),
        ("providers", data.providers.len()),
        ("contracts", data.contracts.len()),
        ("funding_lines", data.lines.len()),
        ("commitment_quarters", data.commitments.len()),
        ("outcome_measures", data.measures.len()),
        ("outcome_returns", data.returns.len()),
        ("outcome_return_values", data.values.len()),
        ("payments", data.payments.len()),
    ]
    .into_iter()
    .map(|(table, rows)| (table, rows as u64))
    .collect()
}

/// Writes every table in dependency order and returns (table, rows written).
pub fn write(data: &Dataset, url: &str) -> Result<Vec<(&'static str, u64)>, Error> {
    let mut sink = Sink::open(url);
    let result = write_tables(data, &mut sink);
    let finished = sink.finish();
    let counts = result?;
    finished?;
    if counts != row_counts(data) {
        return Err(format!("wrote {counts:?}, expected {:?}", row_counts(data)).into());
    }
    Ok(counts)
}

fn write_tables(data: &Dataset, sink: &mut Sink) -> Result<Vec<(&'static str, u64)>, Error> {
    let ids = &data.ids;
    let day = setup_day();
    let mut counts = Vec::new();
    let started = Instant::now();
    let done = |counts: &mut Vec<(&'static str, u64)>, (table, rows): (&'static str, u64)| {
        eprintln!(
            "    {table:<22} {rows:>9} rows   {:6.1} s",
            started.elapsed().as_secs_f64()
        );
        counts.push((table, rows));
    };

    let mut t = Insert::new(sink, "organisations", "id, name, created_at, updated_at");
    let out = t.row()?;
    out.push('(');
    id(out, ids, Kind::Organisation, 0);
    out.push_str(",'National Commissioning Benchmark Authority',");
    timestamp(out, day, 9);
    out.push(',');
    timestamp(out, day, 9);
    out.push(')');
    done(&mut counts, t.finish()?);
    let mut organisation = String::new();
    id(&mut organisation, ids, Kind::Organisation, 0);

    let mut t = Insert::new(
        sink,
        "funding_streams",
        "id, organisation_id, code, name, funder, ringfenced, description, created_at, \
         updated_at, return_due_days",
    );
    for (i, stream) in data.streams.iter().enumerate() {
        let out = t.row()?;
        out.push('(');
        id(out, ids, Kind::Stream, i);
        let _ = write!(out, ",{organisation},'FS{i:04}','Funding stream {i}',");
        text(out, stream.funder);
        out.push_str(if stream.ringfenced {
            ",TRUE,NULL,"
        } else {
            ",FALSE,NULL,"
        });
        timestamp(out, day, 9);
        out.push(',');
        timestamp(out, day, 9);
        out.push(',');
        optional_int(out, stream.return_due_days);
        out.push(')');
    }
    done(&mut counts, t.finish()?);

    let mut t = Insert::new(
        sink,
        "stream_budgets",
        "funding_stream_id, financial_year, amount_pence, status, updated_at",
    );
    for budget in &data.budgets {
        let out = t.row()?;
        out.push('(');
        id(out, ids, Kind::Stream, budget.stream);
        let status = if budget.confirmed {
            "confirmed"
        } else {
            "indicative"
        };
        let _ = write!(out, ",'{}',{},'{status}',", budget.year, budget.pence);
        timestamp(out, budget.year.start_date(), 9);
        out.push(')');
    }
    done(&mut counts, t.finish()?);

    const SUFFIXES: [&str; 6] = [
        "Trust",
        "CIC",
        "Ltd",
        "Partnership",
        "Foundation",
        "Women's Aid",
    ];
    let mut t = Insert::new(
        sink,
        "providers",
        "id, organisation_id, name, kind, charity_number, company_number, contact_name, \
         contact_email, created_at, updated_at",
    );
    for (i, provider) in data.providers.iter().enumerate() {
        let kind = PROVIDER_KINDS[provider.kind];
        let out = t.row()?;
        out.push('(');
        id(out, ids, Kind::Provider, i);
        let _ = write!(out, ",{organisation},");
        text(
            out,
            &format!("Provider {i:05} {}", SUFFIXES[i % SUFFIXES.len()]),
        );
        let _ = write!(out, ",'{kind}',");
        match kind {
            "charity" => {
                let _ = write!(out, "'{}',NULL,", 1_000_000 + i);
            }
            "company" => {
                let _ = write!(out, "NULL,'{:08}',", 10_000_000 + i);
            }
            _ => out.push_str("NULL,NULL,"),
        }
        let _ = write!(
            out,
            "'Contact {i}','contact{i}@provider{i}.example.org.uk',"
        );
        timestamp(out, day, 10);
        out.push(',');
        timestamp(out, day, 10);
        out.push(')');
    }
    done(&mut counts, t.finish()?);

    let mut t = Insert::new(
        sink,
        "contracts",
        "id, organisation_id, provider_id, kind, reference, title, purpose, start_date, \
         end_date, value_pence, status, created_at, updated_at, return_due_days",
    );
    for (i, contract) in data.contracts.iter().enumerate() {
        let out = t.row()?;
        out.push('(');
        id(out, ids, Kind::Contract, i);
        let _ = write!(out, ",{organisation},");
        id(out, ids, Kind::Provider, contract.provider);
        let kind = if contract.grant { "grant" } else { "contract" };
        let _ = write!(
            out,
            ",'{kind}','OPCC/{}/{i:06}','Service {i}',NULL,",
            contract.start.year()
        );
        date(out, contract.start);
        out.push(',');
        date(out, contract.end);
        let _ = write!(out, ",{},'{}',", contract.value, contract.status.as_str());
        let created = contract.start - chrono::Days::new(30);
        timestamp(out, created, 11);
        out.push(',');
        timestamp(out, created, 11);
        out.push(',');
        optional_int(out, contract.return_due_days);
        out.push(')');
    }
    done(&mut counts, t.finish()?);

    let mut t = Insert::new(
        sink,
        "funding_lines",
        "id, contract_id, funding_stream_id, financial_year, amount_pence, created_at",
    );
    for (i, line) in data.lines.iter().enumerate() {
        let out = t.row()?;
        out.push('(');
        id(out, ids, Kind::Line, i);
        out.push(',');
        id(out, ids, Kind::Contract, line.contract);
        out.push(',');
        id(out, ids, Kind::Stream, line.stream);
        let _ = write!(out, ",'{}',{},", line.year, line.pence);
        timestamp(
            out,
            data.contracts[line.contract].start - chrono::Days::new(30),
            11,
        );
        out.push(')');
    }
    done(&mut counts, t.finish()?);

    let mut t = Insert::new(
        sink,
        "commitment_quarters",
        "funding_line_id, quarter, contract_id, provider_id, funding_stream_id, \
         financial_year, amount_pence",
    );
    for part in &data.commitments {
        let line = &data.lines[part.line];
        let out = t.row()?;
        out.push('(');
        id(out, ids, Kind::Line, part.line);
        let _ = write!(out, ",'{}',", part.quarter.quarter);
        id(out, ids, Kind::Contract, line.contract);
        out.push(',');
        id(
            out,
            ids,
            Kind::Provider,
            data.contracts[line.contract].provider,
        );
        out.push(',');
        id(out, ids, Kind::Stream, line.stream);
        let _ = write!(out, ",'{}',{})", part.quarter.year, part.pence);
    }
    done(&mut counts, t.finish()?);

    let mut t = Insert::new(
        sink,
        "outcome_measures",
        "id, organisation_id, funding_stream_id, contract_id, code, label, unit, created_at, \
         updated_at",
    );
    for (i, measure) in data.measures.iter().enumerate() {
        let out = t.row()?;
        out.push('(');
        id(out, ids, Kind::Measure, i);
        let _ = write!(out, ",{organisation},");
        id(out, ids, Kind::Stream, measure.stream);
        let _ = write!(out, ",NULL,'{}',", measure.code);
        text(out, measure.label);
        let _ = write!(out, ",'{}',", measure.unit);
        timestamp(out, day, 12);
        out.push(',');
        timestamp(out, day, 12);
        out.push(')');
    }
    done(&mut counts, t.finish()?);

    let mut t = Insert::new(
        sink,
        "outcome_returns",
        "id, organisation_id, contract_id, financial_year, quarter, status, referrals, \
         people_supported, spend_pence, narrative, created_at, updated_at, query_comment, \
         first_submitted_at",
    );
    for (i, r) in data.returns.iter().enumerate() {
        let out = t.row()?;
        out.push('(');
        id(out, ids, Kind::Return, i);
        let _ = write!(out, ",{organisation},");
        id(out, ids, Kind::Contract, r.contract);
        let _ = write!(
            out,
            ",'{}','{}','{}',{},{},{},",
            r.quarter.year,
            r.quarter.quarter,
            r.status.as_str(),
            r.referrals,
            r.people_supported,
            r.spend
        );
        optional_text(out, r.narrative);
        out.push(',');
        timestamp(out, r.created_on, 9);
        out.push(',');
        let (updated, submitted) = match r.status {
            ReturnStatus::Draft => (r.created_on, None),
            ReturnStatus::Submitted => (r.created_on + chrono::Days::new(2), Some(2)),
            ReturnStatus::Accepted => (r.created_on + chrono::Days::new(14), Some(2)),
        };
        timestamp(out, updated, 15);
        out.push_str(",NULL,");
        match submitted {
            Some(days) => timestamp(out, r.created_on + chrono::Days::new(days), 10),
            None => out.push_str("NULL"),
        }
        out.push(')');
    }
    done(&mut counts, t.finish()?);

    let mut t = Insert::new(
        sink,
        "outcome_return_values",
        "outcome_return_id, outcome_measure_id, value",
    );
    for v in &data.values {
        let out = t.row()?;
        out.push('(');
        id(out, ids, Kind::Return, v.outcome_return);
        out.push(',');
        id(out, ids, Kind::Measure, v.measure);
        let _ = write!(out, ",{})", v.value);
    }
    done(&mut counts, t.finish()?);

    let mut t = Insert::new(
        sink,
        "payments",
        "id, contract_id, funding_stream_id, amount_pence, paid_on, financial_year, quarter, \
         reference, recorded_by, created_at",
    );
    for (i, p) in data.payments.iter().enumerate() {
        let line = &data.lines[p.line];
        let out = t.row()?;
        out.push('(');
        id(out, ids, Kind::Payment, i);
        out.push(',');
        id(out, ids, Kind::Contract, line.contract);
        out.push(',');
        id(out, ids, Kind::Stream, line.stream);
        let _ = write!(out, ",{},", p.pence);
        date(out, p.paid_on);
        let _ = write!(out, ",'{}','{}',", p.quarter.year, p.quarter.quarter);
        if p.with_reference {
            let _ = write!(out, "'PAY-{i:07}',");
        } else {
            out.push_str("NULL,");
        }
        out.push_str("'bench-finance',");
        timestamp(out, p.paid_on, 12);
        out.push(')');
    }
    done(&mut counts, t.finish()?);

    Ok(counts)
}

#[derive(diesel::QueryableByName)]
struct ForeignKey {
    #[diesel(sql_type = diesel::sql_types::Text)]
    child: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    parent: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    parent_column: String,
}

/// Checks every foreign key of the PostgreSQL schema over the whole data
/// set, one anti-join each (SQLite checks them row by row as they are
/// written). Returns how many were checked.
pub fn check_foreign_keys(conn: &mut diesel::PgConnection) -> Result<usize, Error> {
    use diesel::RunQueryDsl;
    let keys: Vec<ForeignKey> = diesel::sql_query(
        "SELECT c.conrelid::regclass::text AS child, a.attname::text AS column, \
                c.confrelid::regclass::text AS parent, p.attname::text AS parent_column \
         FROM pg_constraint c \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
         JOIN pg_attribute p ON p.attrelid = c.confrelid AND p.attnum = c.confkey[1] \
         WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 \
           AND c.connamespace = 'public'::regnamespace",
    )
    .load(conn)?;
    for key in &keys {
        let dangling: i64 =
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
                "(SELECT COUNT(*) FROM {child} c WHERE c.{column} IS NOT NULL AND NOT EXISTS \
              (SELECT 1 FROM {parent} p WHERE p.{parent_column} = c.{column}))",
                child = key.child,
                column = key.column,
                parent = key.parent,
                parent_column = key.parent_column,
            )))
            .get_result(conn)?;
        if dangling > 0 {
            return Err(format!(
                "{} rows of {}.{} name no {}.{}",
                dangling, key.child, key.column, key.parent, key.parent_column
            )
            .into());
        }
    }
    Ok(keys.len())
}
