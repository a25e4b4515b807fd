//! National-scale benchmark: one organisation with 400 funding streams,
//! 20,000 providers, 100,000 contracts, 250,000 funding lines, 1,000,000
//! outcome returns and 200,000 payments (times `--scale`), generated from a
//! seed on SQLite and/or PostgreSQL; then the real service binary is
//! started on that database and measured: budget report latency against
//! the same SQL run in-process, GET-one-contract throughput against a
//! trivial route, durable return creation throughput, and peak memory.
//!
//! `cargo bench --bench national_scale [-- --backend sqlite|postgres|both
//! --scale 0.01..1.0 --seed N --postgres-url URL --keep]`
//!
//! It prints what it measures and exits 0 whether or not the targets are
//! met; it fails only when it cannot measure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark stops on what it cannot measure

#[path = "national_scale/budget.rs"]
mod budget;
#[path = "national_scale/database.rs"]
mod database;
#[path = "national_scale/generate.rs"]
mod generate;
#[path = "national_scale/http.rs"]
mod http;
#[path = "national_scale/load.rs"]
mod load;
#[path = "national_scale/report.rs"]
mod report;
#[path = "national_scale/service.rs"]
mod service;
#[path = "national_scale/write.rs"]
mod write;

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use commissioning::auth::{Role, TokenKeys};
use commissioning::db::{self, DbConn};
use commissioning::error::ErrorChain;
use diesel::connection::SimpleConnection;

use generate::{Dataset, Kind, Rng, Sizes};
use http::Request;
use load::{Client, LoadResult, Plan, Target};
use report::{BackendReport, Machine, TARGETS};
use service::Service;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

const TOKEN_SECRET: &str = "national-scale-benchmark-secret-of-at-least-32-bytes";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum BackendChoice {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Phase {
    /// Budget report latency.
    Report,
    /// GET /healthz and GET one contract throughput.
    Get,
    /// POST outcome returns throughput.
    Post,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "national_scale",
    about = "National-scale benchmark of the service"
)]
struct Args {
    /// Which database(s) to measure.
    #[arg(long, value_enum, default_value_t = BackendChoice::Both)]
    backend: BackendChoice,
    /// Fraction of the national-scale data set, 0.01 to 1.0.
    #[arg(long, default_value_t = 1.0, value_parser = parse_scale)]
    scale: f64,
    /// Seed of the generated data (same seed and scale, same rows).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// A PostgreSQL server where the benchmark may create and drop its database.
    #[arg(
        long,
        env = "BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,
    /// Keep the generated database(s) afterwards.
    #[arg(long)]
    keep: bool,
    /// Warm-up before each throughput window, seconds.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Length of each throughput window, seconds.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Concurrent keep-alive connections for the GET throughput runs.
    #[arg(long, default_value_t = 32)]
    get_concurrency: usize,
    /// Concurrent connections creating outcome returns. 16, twice the
    /// service's default pool of 8, keeps every pooled connection busy with
    /// the next requests queued in the pool: on PostgreSQL the rate was the
    /// same from 8 to 64 (CPU-bound); on SQLite 8 gave about 640/s with a
    /// p99 near 190 ms (writers sleeping in busy_timeout), 16 and 32 about
    /// 900-930/s.
    #[arg(long, default_value_t = 16)]
    post_concurrency: usize,
    /// The load generator's HTTP client.
    #[arg(long, value_enum, default_value_t = Client::Raw)]
    client: Client,
    /// Sequential budget report requests (and SQL runs) measured, after 3 warm-ups.
    #[arg(long, default_value_t = 30)]
    report_runs: usize,
    /// Measure the database a `--keep` run with the same seed and scale
    /// left, instead of writing it again (after deleting the returns and
    /// audit events that run's POSTs added). Implies --keep.
    #[arg(long)]
    reuse: bool,
    /// Only generate (and verify) the data; measure nothing.
    #[arg(long)]
    generate_only: bool,
    /// Which measurements to make (all by default).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "report,get,post"
    )]
    phases: Vec<Phase>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn parse_scale(s: &str) -> Result<f64, String> {
    let scale: f64 = s.parse().map_err(|_| format!("not a number: {s}"))?;
    if (0.01..=1.0).contains(&scale) {
        Ok(scale)
    } else {
        Err("the scale runs from 0.01 to 1.0".into())
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("national_scale: {}", ErrorChain(&*error));
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Error> {
    let machine = Machine::probe(&database::data_dir());
    let sizes = Sizes::at(args.scale);
    println!(
        "national_scale: seed {}, scale {}, {} client",
        args.seed,
        args.scale,
        match args.client {
            Client::Raw => "raw-TCP",
            Client::Awc => "awc",
        }
    );
    machine.print();
    let started = Instant::now();
    let data = Dataset::generate(args.seed, sizes);
    let generate_secs = started.elapsed().as_secs_f64();
    eprintln!(
        "generated {} contracts, {} lines, {} returns, {} payments in memory in {generate_secs:.1} s",
        data.contracts.len(),
        data.lines.len(),
        data.returns.len(),
        data.payments.len()
    );
    let backends = match args.backend {
        BackendChoice::Sqlite => vec![Backend::Sqlite],
        BackendChoice::Postgres => vec![Backend::Postgres],
        BackendChoice::Both => vec![Backend::Sqlite, Backend::Postgres],
    };
    // A backend that cannot be measured does not lose the other's results.
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for backend in backends {
        match run_backend(args, backend, &data, generate_secs) {
            Ok(Some(report)) => reports.push(report),
            Ok(None) => {}
            Err(error) => {
                eprintln!("{}: {error}", backend.name());
                failures.push(format!("{}: {error}", backend.name()));
            }
        }
    }
    if !reports.is_empty() {
        println!();
        println!(
            "===== national_scale results: seed {}, scale {} =====",
            args.seed, args.scale
        );
        machine.print();
        println!(
            "load: {} keep-alive client, closed loop, {} s warm-up then {} s measured per run; \
             GET c={}, POST c={}; budget report {} runs after 3 warm-ups",
            match args.client {
                Client::Raw => "raw HTTP/1.1 (blocking threads)",
                Client::Awc => "awc (one runtime thread)",
            },
            args.warmup,
            args.duration,
            args.get_concurrency,
            args.post_concurrency,
            args.report_runs
        );
        for report in &reports {
            report.print(&TARGETS);
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; ").into())
    }
}

fn run_backend(
    args: &Args,
    backend: Backend,
    data: &Dataset,
    generate_secs: f64,
) -> Result<Option<BackendReport>, Error> {
    eprintln!();
    eprintln!("=== {} ===", backend.name());
    let database = database::create(args, backend)?;
    let url = database.url.clone();
    db::migrate(&url).map_err(|e| format!("migrating {url}: {}", ErrorChain(&e)))?;

    let (counts, write_secs) = if args.reuse {
        let mut conn = db::connect_one(&url)?;
        conn.batch_execute(&format!(
            "DELETE FROM audit_events; DELETE FROM outcome_returns WHERE id NOT LIKE '{}-%'",
            data.ids.prefix()
        ))?;
        eprintln!("reusing the data set written before");
        (write::row_counts(data), 0.0)
    } else {
        eprintln!("writing the data set:");
        let started = Instant::now();
        let counts = write::write(data, &url)?;
        (counts, started.elapsed().as_secs_f64())
    };
    let mut conn = db::connect_one(&url)?;
    let tidy = match &mut conn {
        _ if args.reuse => None,
        // Foreign keys were not checked row by row; check them all now.
        // Then the state autovacuum would reach in service: statistics and
        // the visibility map (which index-only scans rely on).
        DbConn::Postgres(pg) => {
            let started = Instant::now();
            let keys = write::check_foreign_keys(pg)?;
            eprintln!(
                "checked {keys} foreign keys in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            pg.batch_execute("VACUUM ANALYZE")?;
            // Write the loaded pages out now, not in a checkpoint during
            // the measurements.
            if let Err(e) = pg.batch_execute("CHECKPOINT") {
                eprintln!("warning: CHECKPOINT failed ({e}); the server will write the data set out while it is measured");
            }
            Some((
                "foreign-key check + VACUUM ANALYZE + CHECKPOINT",
                started.elapsed().as_secs_f64(),
            ))
        }
        // The service never runs ANALYZE on SQLite, so neither do we; just
        // fold the write-ahead log back into the database file, and write
        // the file out now rather than while the durable writes are timed
        // (each of their fsyncs would wait for the kernel's write-back).
        DbConn::Sqlite(lite) => {
            let started = Instant::now();
            lite.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")?;
            let path = url.strip_prefix("sqlite://").unwrap_or(&url);
            std::fs::File::open(path)?.sync_all()?;
            Some(("WAL checkpoint + fsync", started.elapsed().as_secs_f64()))
        }
    };
    for (table, rows) in &counts {
        let found = database::scalar_i64(&mut conn, &format!("(SELECT COUNT(*) FROM {table})"))?;
        if found != *rows as i64 {
            return Err(format!("{table}: wrote {rows} rows but COUNT(*) finds {found}").into());
        }
    }
    eprintln!(
        "wrote and verified {} rows in {write_secs:.1} s (+ {:.1} s {})",
        counts.iter().map(|c| c.1).sum::<u64>(),
        tidy.map_or(0.0, |t| t.1),
        tidy.map_or("", |t| t.0)
    );
    let (version, settings) = match backend {
        Backend::Postgres => (
            format!(
                "PostgreSQL {}",
                database::scalar_text(&mut conn, "current_setting('server_version')")?
            ),
            format!(
                "synchronous_commit={}, fsync={}, pool DATABASE_MAX_CONNECTIONS default (8)",
                database::scalar_text(&mut conn, "current_setting('synchronous_commit')")?,
                database::scalar_text(&mut conn, "current_setting('fsync')")?
            ),
        ),
        // A connection opened as the service opens them shows its pragmas.
        Backend::Sqlite => (
            format!("SQLite {}", database::scalar_text(&mut conn, "sqlite_version()")?),
            format!(
                "journal_mode={}, synchronous={} (2 = FULL), pool DATABASE_MAX_CONNECTIONS default (8)",
                database::scalar_text(&mut conn, "(SELECT journal_mode FROM pragma_journal_mode())")?,
                database::scalar_i64(&mut conn, "(SELECT synchronous FROM pragma_synchronous())")?
            ),
        ),
    };
    drop(conn);
    if args.generate_only {
        eprintln!("--generate-only: not measuring");
        return Ok(None);
    }

    let log = database::data_dir().join(format!("service-{}.log", backend.name().to_lowercase()));
    std::fs::create_dir_all(log.parent().unwrap_or(&log))?;
    eprintln!("starting the service (log: {})", log.display());
    let started = Instant::now();
    let service = Service::start(&url, TOKEN_SECRET, &log)?;
    eprintln!("ready in {:.1} s", started.elapsed().as_secs_f64());
    // At start the service profiles any awarded contract that has no
    // commitment rows; finding none to add confirms the generator wrote
    // every one.
    let profiled = database::scalar_i64(
        &mut db::connect_one(&url)?,
        "(SELECT COUNT(*) FROM commitment_quarters)",
    )?;
    if profiled != data.commitments.len() as i64 {
        return Err(format!(
            "the service's start-up backfill changed commitment_quarters: {} rows generated, {profiled} now",
            data.commitments.len()
        )
        .into());
    }

    let keys = TokenKeys::from_secret(
        TOKEN_SECRET.as_bytes(),
        "commissioning",
        "commissioning-api",
    )?;
    let organisation = data.ids.id(Kind::Organisation, 0);
    let finance = keys.mint(
        "bench-finance",
        organisation.parse().expect("an id"),
        Role::Finance,
        None,
        6 * 3600,
    )?;
    let commissioner = keys.mint(
        "bench-commissioner",
        organisation.parse().expect("an id"),
        Role::Commissioner,
        None,
        6 * 3600,
    )?;

    eprintln!("budget report latency:");
    let budget = if args.phases.contains(&Phase::Report) {
        budget::measure(&service, &finance, &url, &organisation, args.report_runs)
    } else {
        Err("skipped (--phases)".into())
    };
    match &budget {
        Ok(b) => eprintln!(
            "  API p50 {:.2} ms, SQL p50 {:.2} ms",
            b.api.p50_ms, b.sql.p50_ms
        ),
        Err(why) => eprintln!("  not measured: {why}"),
    }

    let target = Target {
        addr: service.addr,
        token: &finance,
        service_pid: service.pid(),
    };
    let get_plan = Plan {
        concurrency: args.get_concurrency,
        warmup: Duration::from_secs(args.warmup),
        duration: Duration::from_secs(args.duration),
        expect: 200,
    };
    let measure_get = args.phases.contains(&Phase::Get);
    eprintln!("GET /healthz throughput:");
    let health = if measure_get {
        load::run(args.client, &target, &get_plan, &|| {
            Some(Request::get("/healthz"))
        })
    } else {
        LoadResult::skipped(args.get_concurrency)
    };
    summarise(&health);

    eprintln!("GET /api/v1/contracts/{{id}} throughput:");
    let mut order: Vec<usize> = (0..data.contracts.len()).collect();
    Rng::new(args.seed, 100).shuffle(&mut order);
    let paths: Vec<String> = order
        .iter()
        .map(|&i| format!("/api/v1/contracts/{}", data.ids.id(Kind::Contract, i)))
        .collect();
    let next_contract = AtomicUsize::new(0);
    let contract = if measure_get {
        load::run(args.client, &target, &get_plan, &|| {
            let i = next_contract.fetch_add(1, Ordering::Relaxed);
            Some(Request::get(paths[i % paths.len()].clone()))
        })
    } else {
        LoadResult::skipped(args.get_concurrency)
    };
    summarise(&contract);

    eprintln!("POST /api/v1/outcome-returns throughput:");
    let mut slots = data.free_slots.clone();
    Rng::new(args.seed, 101).shuffle(&mut slots);
    let bodies: Vec<String> = slots.iter().map(|s| return_body(data, s)).collect();
    let next_slot = AtomicUsize::new(0);
    let post_target = Target {
        token: &commissioner,
        ..target
    };
    let post_plan = Plan {
        concurrency: args.post_concurrency,
        expect: 201,
        ..get_plan
    };
    let create_return = if args.phases.contains(&Phase::Post) {
        load::run(args.client, &post_target, &post_plan, &|| {
            let i = next_slot.fetch_add(1, Ordering::Relaxed);
            bodies
                .get(i)
                .map(|body| Request::post_json("/api/v1/outcome-returns", body.clone()))
        })
    } else {
        LoadResult::skipped(args.post_concurrency)
    };
    summarise(&create_return);
    let post_concurrency_note = format!(
        "{} free (contract, year, quarter) slots available; {} used",
        slots.len(),
        next_slot.load(Ordering::Relaxed).min(slots.len())
    );

    let (vm_hwm_kib, vm_rss_kib) = service.memory_kib()?;
    eprintln!(
        "service memory: VmHWM {:.1} MiB, VmRSS {:.1} MiB",
        vm_hwm_kib as f64 / 1024.0,
        vm_rss_kib as f64 / 1024.0
    );
    drop(service);
    drop(database);

    Ok(Some(BackendReport {
        name: backend.name(),
        version,
        settings,
        counts,
        generate_secs,
        write_secs,
        tidy,
        budget,
        health,
        contract,
        create_return,
        post_concurrency_note,
        vm_hwm_kib,
        vm_rss_kib,
    }))
}

fn summarise(r: &LoadResult) {
    if r.skipped {
        eprintln!("  skipped (--phases)");
        return;
    }
    eprintln!(
        "  {:.0}/s over {:.1} s, p50 {:.2} ms, p99 {:.2} ms{}",
        r.per_second,
        r.seconds,
        r.p50_ms,
        r.p99_ms,
        if r.ran_out { " (ran out of work)" } else { "" }
    );
    eprintln!("  {}", report::cpu_note(r));
    r.print_errors("  ");
}

fn pounds(pence: i64) -> String {
    format!("{}.{:02}", pence / 100, pence % 100)
}

/// A provider's return for a free slot, with a value for each of the
/// contract's measures, as a complete return carries.
fn return_body(data: &Dataset, slot: &generate::Slot) -> String {
    let contract = &data.contracts[slot.contract];
    let mut rng = Rng::new(slot.contract as u64, 102);
    let referrals = rng.between(0, 300);
    let people = rng.between(0, referrals);
    let spend = rng.between(0, contract.value / 8);
    let values: Vec<String> = contract
        .measures
        .iter()
        .map(|&m| {
            let measure = &data.measures[m];
            let value = match measure.unit {
                "money" => format!("\"{}\"", pounds(rng.between(0, spend))),
                _ => rng.between(0, people.max(1)).to_string(),
            };
            format!("{{\"code\":\"{}\",\"value\":{value}}}", measure.code)
        })
        .collect();
    format!(
        "{{\"contract_id\":\"{}\",\"financial_year\":\"{}\",\"quarter\":\"{}\",\
         \"referrals\":{referrals},\"people_supported\":{people},\"spend\":\"{}\",\
         \"narrative\":\"Benchmark return\",\"values\":[{}]}}",
        data.ids.id(Kind::Contract, slot.contract),
        slot.quarter.year,
        slot.quarter.quarter,
        pounds(spend),
        values.join(",")
    )
}
