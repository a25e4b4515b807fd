//! Closed-loop load: `concurrency` keep-alive connections, each sending its
//! next request as soon as the last is answered, for a warm-up and then a
//! measured window. Every response's status is checked; anything but the
//! expected status counts as an error and is reported.
//!
//! Two interchangeable clients: blocking threads over raw TCP (the default,
//! and the lighter one) and awc on one actix runtime thread.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::http::{Connection, Request};

const WARMING: u8 = 0;
const MEASURING: u8 = 1;
const STOPPED: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Client {
    /// Blocking threads, raw HTTP/1.1 over TcpStream.
    Raw,
    /// awc futures on one actix runtime thread.
    Awc,
}

pub struct Target<'a> {
    pub addr: SocketAddr,
    pub token: &'a str,
    pub service_pid: u32,
}

pub struct Plan {
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// The status that counts as a success (200, or 201 for creations).
    pub expect: u16,
}

/// One worker's tally.
#[derive(Default)]
struct Tally {
    ok: u64,
    latencies_us: Vec<u32>,
    unexpected: BTreeMap<String, u64>,
    samples: Vec<String>,
    ran_out: bool,
}

impl Tally {
    fn unexpected(&mut self, what: String, detail: String) {
        *self.unexpected.entry(what).or_default() += 1;
        if self.samples.len() < 3 {
            self.samples.push(detail);
        }
    }

    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.latencies_us.extend(other.latencies_us);
        for (k, v) in other.unexpected {
            *self.unexpected.entry(k).or_default() += v;
        }
        for s in other.samples {
            if self.samples.len() < 5 {
                self.samples.push(s);
            }
        }
        self.ran_out |= other.ran_out;
    }
}

pub struct LoadResult {
    pub concurrency: usize,
    /// Length of the measured window.
    pub seconds: f64,
    /// Expected-status responses completed in the window.
    pub ok: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Other statuses and I/O errors over the whole run, warm-up included.
    pub unexpected: BTreeMap<String, u64>,
    pub samples: Vec<String>,
    /// The request source ran dry before the window ended.
    pub ran_out: bool,
    pub cpu: CpuUse,
    /// Not run (left out with `--phases`).
    pub skipped: bool,
}

impl LoadResult {
    /// A run not made (left out with `--phases`).
    pub fn skipped(concurrency: usize) -> LoadResult {
        LoadResult {
            concurrency,
            seconds: 0.0,
            ok: 0,
            per_second: 0.0,
            p50_ms: 0.0,
            p99_ms: 0.0,
            unexpected: BTreeMap::new(),
            samples: Vec::new(),
            ran_out: false,
            cpu: CpuUse::default(),
            skipped: true,
        }
    }

    pub fn errors(&self) -> u64 {
        self.unexpected.values().sum()
    }

    pub fn print_errors(&self, label: &str) {
        if self.unexpected.is_empty() {
            return;
        }
        eprintln!(
            "  {label}: {} unexpected responses: {:?}",
            self.errors(),
            self.unexpected
        );
        for sample in &self.samples {
            eprintln!("    e.g. {sample}");
        }
    }
}

/// CPU used during the window, in cores (1.0 = one core busy throughout).
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuUse {
    /// This process: the load generator.
    pub client: f64,
    pub service: f64,
    /// Every `postgres` process (the server's backends and helpers).
    pub postgres: f64,
    pub machine: f64,
}

impl CpuUse {
    /// CPU used by anything else: another job sharing the machine.
    pub fn other(&self) -> f64 {
        (self.machine - self.client - self.service - self.postgres).max(0.0)
    }
}

#[derive(Clone, Copy)]
struct CpuSnapshot {
    at: Instant,
    client: u64,
    service: u64,
    postgres: u64,
    busy: u64,
}

/// utime + stime of every process named `postgres`.
fn postgres_ticks() -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| {
            std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == "postgres")
        })
        .map(|e| process_ticks(&e.file_name().to_string_lossy()))
        .sum()
}

/// utime + stime of a process, in clock ticks (USER_HZ, 100 on Linux).
fn process_ticks(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

/// Non-idle ticks of all CPUs together.
fn machine_busy_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let line = stat.lines().next().unwrap_or("");
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    let get = |i: usize| fields.get(i).copied().unwrap_or(0);
    get(0) + get(1) + get(2) + get(5) + get(6) + get(7)
}

impl CpuSnapshot {
    fn take(service_pid: u32) -> CpuSnapshot {
        CpuSnapshot {
            at: Instant::now(),
            client: process_ticks("self"),
            service: process_ticks(&service_pid.to_string()),
            postgres: postgres_ticks(),
            busy: machine_busy_ticks(),
        }
    }

    fn since(self, start: CpuSnapshot) -> CpuUse {
        let ticks = (self.at - start.at).as_secs_f64().max(1e-9) * 100.0;
        let cores = |end: u64, start: u64| end.saturating_sub(start) as f64 / ticks;
        CpuUse {
            client: cores(self.client, start.client),
            service: cores(self.service, start.service),
            // Backends that ended during the window drop out of the sum.
            postgres: cores(self.postgres, start.postgres),
            machine: cores(self.busy, start.busy),
        }
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    f64::from(sorted[rank - 1]) / 1000.0
}

/// Runs the plan, drawing requests from `next` until the window ends or it
/// returns None.
pub fn run(
    client: Client,
    target: &Target,
    plan: &Plan,
    next: &(dyn Fn() -> Option<Request> + Sync),
) -> LoadResult {
    let phase = AtomicU8::new(WARMING);
    let live = std::sync::atomic::AtomicUsize::new(plan.concurrency);
    let (tally, window, cpu) = std::thread::scope(|scope| {
        let workers: Vec<_> = match client {
            Client::Raw => (0..plan.concurrency)
                .map(|_| {
                    let (phase, live) = (&phase, &live);
                    scope.spawn(move || {
                        let tally = raw_worker(target, plan, next, phase);
                        live.fetch_sub(1, Ordering::SeqCst);
                        tally
                    })
                })
                .collect(),
            Client::Awc => {
                let (phase, live) = (&phase, &live);
                vec![scope.spawn(move || {
                    let tally = awc_workers(target, plan, next, phase);
                    live.store(0, Ordering::SeqCst);
                    tally
                })]
            }
        };
        let (window, cpu) = control(plan, target.service_pid, &phase, &live);
        let mut tally = Tally::default();
        for worker in workers {
            match worker.join() {
                Ok(t) => tally.merge(t),
                Err(_) => tally.unexpected("panic".into(), "a load worker panicked".into()),
            }
        }
        (tally, window, cpu)
    });
    let mut latencies = tally.latencies_us;
    latencies.sort_unstable();
    LoadResult {
        concurrency: plan.concurrency,
        seconds: window,
        ok: tally.ok,
        per_second: if window > 0.0 {
            tally.ok as f64 / window
        } else {
            0.0
        },
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        unexpected: tally.unexpected,
        samples: tally.samples,
        ran_out: tally.ran_out,
        cpu,
        skipped: false,
    }
}

/// Warm-up, then the measured window (cut short if every worker stops).
fn control(
    plan: &Plan,
    service_pid: u32,
    phase: &AtomicU8,
    live: &std::sync::atomic::AtomicUsize,
) -> (f64, CpuUse) {
    let all_stopped = || live.load(Ordering::SeqCst) == 0;
    let wait = |length: Duration| {
        let until = Instant::now() + length;
        while Instant::now() < until && !all_stopped() {
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    wait(plan.warmup);
    let start = CpuSnapshot::take(service_pid);
    phase.store(MEASURING, Ordering::SeqCst);
    wait(plan.duration);
    phase.store(STOPPED, Ordering::SeqCst);
    let end = CpuSnapshot::take(service_pid);
    let window = if all_stopped() && start.at.elapsed() < plan.duration / 20 {
        0.0
    } else {
        (end.at - start.at).as_secs_f64()
    };
    (window, end.since(start))
}

fn raw_worker(
    target: &Target,
    plan: &Plan,
    next: &(dyn Fn() -> Option<Request> + Sync),
    phase: &AtomicU8,
) -> Tally {
    let mut tally = Tally::default();
    let host = target.addr.to_string();
    let mut connection: Option<Connection> = None;
    loop {
        if phase.load(Ordering::Relaxed) == STOPPED {
            break;
        }
        let Some(request) = next() else {
            tally.ran_out = true;
            break;
        };
        let bytes = request.to_bytes(&host, target.token);
        let conn = match connection.as_mut() {
            Some(c) => c,
            None => match Connection::open(target.addr) {
                Ok(c) => connection.insert(c),
                Err(e) => {
                    tally.unexpected(format!("connect: {:?}", e.kind()), e.to_string());
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
            },
        };
        let sent = Instant::now();
        let reply = conn.send(&bytes);
        let measuring = phase.load(Ordering::Relaxed) == MEASURING;
        match reply {
            Ok(response) if response.status == plan.expect => {
                if measuring {
                    tally.ok += 1;
                    let us = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                    tally.latencies_us.push(us);
                }
            }
            Ok(response) => tally.unexpected(
                response.status.to_string(),
                format!(
                    "{} {} -> {} {}",
                    request.method,
                    request.path,
                    response.status,
                    response.body_text()
                ),
            ),
            Err(e) => {
                tally.unexpected(format!("io: {:?}", e.kind()), e.to_string());
                connection = None;
            }
        }
    }
    tally
}

fn awc_workers(
    target: &Target,
    plan: &Plan,
    next: &(dyn Fn() -> Option<Request> + Sync),
    phase: &AtomicU8,
) -> Tally {
    let base = format!("http://{}", target.addr);
    let auth = format!("Bearer {}", target.token);
    actix_web::rt::System::new().block_on(async {
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(120))
            .finish();
        let tasks = (0..plan.concurrency).map(|_| {
            let (client, base, auth) = (&client, &base, &auth);
            async move {
                let mut tally = Tally::default();
                loop {
                    if phase.load(Ordering::Relaxed) == STOPPED {
                        break;
                    }
                    let Some(request) = next() else {
                        tally.ran_out = true;
                        break;
                    };
                    let method = awc::http::Method::from_bytes(request.method.as_bytes())
                        .unwrap_or(awc::http::Method::GET);
                    let builder = client
                        .request(method, format!("{base}{}", request.path))
                        .insert_header(("Authorization", auth.as_str()));
                    let sent = Instant::now();
                    let reply = match &request.body {
                        Some(body) => {
                            builder
                                .insert_header(("Content-Type", "application/json"))
                                .send_body(body.clone())
                                .await
                        }
                        None => builder.send().await,
                    };
                    match reply {
                        Ok(mut response) => {
                            let status = response.status().as_u16();
                            let body = response.body().limit(1 << 20).await.unwrap_or_default();
                            let measuring = phase.load(Ordering::Relaxed) == MEASURING;
                            if status == plan.expect {
                                if measuring {
                                    tally.ok += 1;
                                    let us = sent.elapsed().as_micros().min(u128::from(u32::MAX));
                                    tally.latencies_us.push(us as u32);
                                }
                            } else {
                                tally.unexpected(
                                    status.to_string(),
                                    format!(
                                        "{} {} -> {status} {}",
                                        request.method,
                                        request.path,
                                        String::from_utf8_lossy(&body)
                                    ),
                                );
                            }
                        }
                        Err(e) => tally.unexpected("awc error".into(), e.to_string()),
                    }
                }
                tally
            }
        });
        let mut tally = Tally::default();
        for t in JoinAll::new(tasks).await {
            tally.merge(t);
        }
        tally
    })
}

/// Polls a set of futures on the current task until all are done (the
/// tasks borrow the client and request source, so they cannot be spawned).
struct JoinAll<F: Future> {
    pending: Vec<Option<Pin<Box<F>>>>,
    done: Vec<Option<F::Output>>,
}

impl<F: Future> JoinAll<F> {
    fn new(futures: impl Iterator<Item = F>) -> JoinAll<F> {
        let pending: Vec<_> = futures.map(|f| Some(Box::pin(f))).collect();
        let done = pending.iter().map(|_| None).collect();
        JoinAll { pending, done }
    }
}

// Nothing in it is pinned in place: the futures are boxed, outputs plain.
impl<F: Future> Unpin for JoinAll<F> {}

impl<F: Future> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<F::Output>> {
        let this = self.get_mut();
        for (slot, done) in this.pending.iter_mut().zip(this.done.iter_mut()) {
            if let Some(future) = slot {
                if let Poll::Ready(output) = future.as_mut().poll(cx) {
                    *done = Some(output);
                    *slot = None;
                }
            }
        }
        if this.pending.iter().all(Option::is_none) {
            Poll::Ready(this.done.iter_mut().filter_map(Option::take).collect())
        } else {
            Poll::Pending
        }
    }
}
