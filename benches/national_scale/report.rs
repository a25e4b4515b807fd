//! The printed results: machine facts, then one table per backend.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use crate::load::LoadResult;

pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub kernel: String,
    pub memory: String,
    /// Median time to append 4 KiB to a file and fdatasync it, in the
    /// benchmark's data folder: the floor under one durable commit.
    pub fsync_ms: Option<f64>,
}

/// Appends 4 KiB and fdatasyncs, 200 times; the median in milliseconds.
fn fsync_probe(dir: &Path) -> std::io::Result<f64> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("fsync-probe");
    let mut file = std::fs::File::create(&path)?;
    let block = [0x5au8; 4096];
    let mut times = Vec::with_capacity(200);
    for _ in 0..200 {
        let started = Instant::now();
        file.write_all(&block)?;
        file.sync_data()?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(Latency::of(times).p50_ms)
}

impl Machine {
    pub fn probe(data_dir: &Path) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or("unknown".to_owned(), |(_, v)| v.trim().to_owned());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or("unknown".to_owned(), |kib| {
                format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0)
            });
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map_or("unknown".to_owned(), |k| k.trim().to_owned()),
            memory,
            fsync_ms: fsync_probe(data_dir).ok(),
        }
    }

    pub fn print(&self) {
        println!(
            "machine: {} | {} cores | {} RAM | Linux {}",
            self.cpu, self.cores, self.memory, self.kernel
        );
        if let Some(ms) = self.fsync_ms {
            println!(
                "disk: 4 KiB append + fdatasync p50 {ms:.2} ms (one writer, one commit per flush: at most {:.0}/s)",
                1000.0 / ms
            );
        }
    }
}

pub struct Latency {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub runs: usize,
}

impl Latency {
    /// From per-run timings in milliseconds.
    pub fn of(mut runs_ms: Vec<f64>) -> Latency {
        runs_ms.sort_by(f64::total_cmp);
        let pick = |p: f64| {
            let rank = ((runs_ms.len() as f64 * p).ceil() as usize).clamp(1, runs_ms.len());
            runs_ms[rank - 1]
        };
        Latency {
            p50_ms: pick(0.50),
            p95_ms: pick(0.95),
            runs: runs_ms.len(),
        }
    }
}

pub struct BudgetFigures {
    pub api: Latency,
    pub sql: Latency,
}

pub struct BackendReport {
    pub name: &'static str,
    pub version: String,
    pub settings: String,
    pub counts: Vec<(&'static str, u64)>,
    pub generate_secs: f64,
    pub write_secs: f64,
    pub tidy: Option<(&'static str, f64)>,
    /// Budget report latency, or why it was not measured.
    pub budget: Result<BudgetFigures, String>,
    pub health: LoadResult,
    pub contract: LoadResult,
    pub create_return: LoadResult,
    pub post_concurrency_note: String,
    pub vm_hwm_kib: u64,
    pub vm_rss_kib: u64,
}

fn verdict(pass: bool) -> &'static str {
    if pass {
        "PASS"
    } else {
        "MISS"
    }
}

fn thousands(n: f64) -> String {
    let n = n.round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn load_figure(r: &LoadResult, unit: &str) -> String {
    if r.skipped {
        return "skipped (--phases)".into();
    }
    let mut s = format!(
        "{} {unit}  (p50 {:.2} ms, p99 {:.2} ms, {:.1} s)",
        thousands(r.per_second),
        r.p50_ms,
        r.p99_ms,
        r.seconds
    );
    if r.ran_out {
        s.push_str(" [ran out of work]");
    }
    s
}

pub fn cpu_note(r: &LoadResult) -> String {
    let mut note = format!(
        "{} ok; cpu cores busy: client {:.2}, service {:.2}, postgres {:.2}, other {:.2} (machine {:.2}); errors {}",
        r.ok,
        r.cpu.client,
        r.cpu.service,
        r.cpu.postgres,
        r.cpu.other(),
        r.cpu.machine,
        r.errors()
    );
    if r.cpu.other() > 0.15 {
        note.push_str(" -- DISTURBED: other processes used the CPU during the window");
    }
    note
}

impl BackendReport {
    pub fn print(&self, targets: &Targets) {
        println!();
        println!("== {} ({}) ==", self.name, self.version);
        let rows: Vec<String> = self
            .counts
            .iter()
            .map(|(t, n)| format!("{t} {}", thousands(*n as f64)))
            .collect();
        println!("rows (each checked with COUNT(*)): {}", rows.join(", "));
        let mut generation = format!(
            "generation: {:.1} s in memory + {:.1} s writing",
            self.generate_secs, self.write_secs
        );
        if let Some((what, secs)) = self.tidy {
            generation.push_str(&format!(" + {secs:.1} s {what}"));
        }
        let total = self.generate_secs + self.write_secs + self.tidy.map_or(0.0, |t| t.1);
        println!("{generation} = {total:.1} s");
        println!("service settings: {}", self.settings);

        let mut table: Vec<[String; 4]> = Vec::new();
        match &self.budget {
            Ok(b) => {
                table.push([
                    format!("budget report API, {} runs", b.api.runs),
                    format!("p50 {:.2} ms, p95 {:.2} ms", b.api.p50_ms, b.api.p95_ms),
                    String::new(),
                    String::new(),
                ]);
                table.push([
                    format!("budget report SQL floor, {} runs", b.sql.runs),
                    format!("p50 {:.2} ms, p95 {:.2} ms", b.sql.p50_ms, b.sql.p95_ms),
                    String::new(),
                    String::new(),
                ]);
                let ratio = b.api.p50_ms / b.sql.p50_ms;
                table.push([
                    "budget report API p50 / SQL p50".into(),
                    format!("{ratio:.2}x"),
                    format!("<= {:.1}x", targets.report_ratio),
                    verdict(ratio <= targets.report_ratio).into(),
                ]);
            }
            Err(why) => table.push([
                "budget report".into(),
                format!("not measured: {why}"),
                format!("<= {:.1}x", targets.report_ratio),
                "-".into(),
            ]),
        }
        table.push([
            format!("GET /healthz, c={}", self.health.concurrency),
            load_figure(&self.health, "req/s"),
            String::new(),
            String::new(),
        ]);
        table.push([
            format!(
                "GET /api/v1/contracts/{{id}}, c={}",
                self.contract.concurrency
            ),
            load_figure(&self.contract, "req/s"),
            String::new(),
            String::new(),
        ]);
        let ratio = if self.health.per_second > 0.0 {
            self.contract.per_second / self.health.per_second
        } else {
            0.0
        };
        table.push([
            "contract / healthz throughput".into(),
            if self.contract.skipped || self.health.skipped {
                "-".into()
            } else {
                format!("{:.0}%", ratio * 100.0)
            },
            format!(">= {:.0}%", targets.contract_ratio * 100.0),
            if self.contract.skipped || self.health.skipped {
                "-".into()
            } else {
                verdict(ratio >= targets.contract_ratio).into()
            },
        ]);
        let post_target = if self.name == "PostgreSQL" {
            targets.post_postgres
        } else {
            targets.post_sqlite
        };
        table.push([
            format!(
                "POST /api/v1/outcome-returns, c={}",
                self.create_return.concurrency
            ),
            load_figure(&self.create_return, "201/s"),
            format!(">= {}/s", thousands(post_target)),
            if self.create_return.skipped {
                "-".into()
            } else {
                verdict(self.create_return.per_second >= post_target).into()
            },
        ]);
        table.push([
            "service peak RSS (VmHWM)".into(),
            format!(
                "{:.1} MiB (VmRSS now {:.1} MiB)",
                self.vm_hwm_kib as f64 / 1024.0,
                self.vm_rss_kib as f64 / 1024.0
            ),
            format!("< {:.0} MB", targets.rss_mb),
            verdict((self.vm_hwm_kib as f64 * 1024.0) < targets.rss_mb * 1e6).into(),
        ]);

        let header: [String; 4] = [
            "measurement".into(),
            "figure".into(),
            "target".into(),
            "result".into(),
        ];
        let widths: Vec<usize> = (0..4)
            .map(|i| {
                table
                    .iter()
                    .chain(std::iter::once(&header))
                    .map(|r| r[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[String; 4]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            println!("| {} |", padded.join(" | "));
        };
        line(&header);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        println!("|-{}-|", rule.join("-|-"));
        for row in &table {
            line(row);
        }
        println!("notes:");
        for (label, r) in [
            ("healthz: ", &self.health),
            ("contract:", &self.contract),
            ("returns: ", &self.create_return),
        ] {
            if !r.skipped {
                println!("  {label} {}", cpu_note(r));
            }
        }
        if !self.create_return.skipped {
            println!("  returns:  {}", self.post_concurrency_note);
        }
        for (label, r) in [
            ("healthz", &self.health),
            ("contract", &self.contract),
            ("returns", &self.create_return),
        ] {
            if r.errors() > 0 {
                println!("  {label}: unexpected responses {:?}", r.unexpected);
                for s in &r.samples {
                    let s: String = s.chars().take(300).collect();
                    println!("    e.g. {s}");
                }
            }
        }
    }
}

pub struct Targets {
    pub report_ratio: f64,
    pub contract_ratio: f64,
    pub post_postgres: f64,
    pub post_sqlite: f64,
    pub rss_mb: f64,
}

pub const TARGETS: Targets = Targets {
    report_ratio: 1.2,
    contract_ratio: 0.5,
    post_postgres: 2_000.0,
    post_sqlite: 1_000.0,
    rss_mb: 150.0,
};
