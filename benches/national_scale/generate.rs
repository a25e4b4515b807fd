//! The national-scale data set, made in memory from a seed: the same seed
//! and scale give the same rows on either backend.
//!
//! Records refer to each other by index; `Ids` turns an index into the
//! UUID-shaped id written to the database. Commitments are profiled with
//! the service's own `profile_lines`, and payments are placed in quarters
//! with its fiscal types, so the rows match what the service would write.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use commissioning::domain::commitment::profile_lines;
use commissioning::domain::contract::FundingLine;
use commissioning::fiscal::{DateRange, FinancialYear, FiscalQuarter};
use commissioning::money::Money;

/// Budget years: 2022-23 to 2025-26.
pub const FIRST_YEAR: i32 = 2022;
pub const LAST_YEAR: i32 = 2025;

/// Row counts at full scale (`--scale 1.0`).
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub streams: usize,
    pub providers: usize,
    pub contracts: usize,
    pub lines: usize,
    pub returns: usize,
    pub payments: usize,
}

impl Sizes {
    pub fn at(scale: f64) -> Sizes {
        let n = |full: f64, least: usize| ((full * scale).round() as usize).max(least);
        Sizes {
            streams: n(400.0, 4),
            providers: n(20_000.0, 20),
            contracts: n(100_000.0, 100),
            lines: n(250_000.0, 250),
            returns: n(1_000_000.0, 1_000),
            payments: n(200_000.0, 200),
        }
    }
}

/// splitmix64: small, fast and the same on every platform.
pub struct Rng(u64);

impl Rng {
    /// A generator for one part of the data set, so that changing how one
    /// table is made leaves the others as they were.
    pub fn new(seed: u64, part: u64) -> Rng {
        let mut rng = Rng(seed ^ part.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.next_u64();
        rng
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), by multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// What an id names; part of the id so ids of different tables never meet.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Organisation = 1,
    Stream = 2,
    Provider = 3,
    Contract = 4,
    Line = 5,
    Measure = 6,
    Return = 7,
    Payment = 8,
}

/// Deterministic UUID-shaped ids (version 7, variant 8 nibbles): a prefix
/// from the seed, the kind, and the index. Fixed width, so ids sort as
/// their indexes do.
#[derive(Debug, Clone, Copy)]
pub struct Ids {
    prefix: u32,
}

impl Ids {
    pub fn new(seed: u64) -> Ids {
        Ids {
            prefix: (Rng::new(seed, 0).next_u64() >> 32) as u32,
        }
    }

    /// What every id of this seed starts with.
    pub fn prefix(&self) -> String {
        format!("{:08x}", self.prefix)
    }

    pub fn id(&self, kind: Kind, index: usize) -> String {
        format!(
            "{:08x}-{:04x}-7000-8000-{:012x}",
            self.prefix, kind as u16, index
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractStatus {
    Draft,
    Active,
    Ended,
}

impl ContractStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ContractStatus::Draft => "draft",
            ContractStatus::Active => "active",
            ContractStatus::Ended => "ended",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnStatus {
    Draft,
    Submitted,
    Accepted,
}

impl ReturnStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnStatus::Draft => "draft",
            ReturnStatus::Submitted => "submitted",
            ReturnStatus::Accepted => "accepted",
        }
    }
}

pub const FUNDERS: [&str; 6] = [
    "Ministry of Justice",
    "Home Office",
    "OPCC core budget",
    "Violence Reduction Unit",
    "NHS England",
    "Local authority",
];

pub const PROVIDER_KINDS: [&str; 6] = [
    "charity",
    "company",
    "local_authority",
    "nhs_body",
    "police",
    "other",
];

/// Measure codes a stream may ask for: (code, unit, label).
const MEASURE_CODES: [(&str, &str, &str); 8] = [
    (
        "better_cope",
        "people",
        "Better able to cope and build resilience",
    ),
    ("feel_safer", "people", "Feel safer"),
    ("housed", "people", "Moved into safe accommodation"),
    ("reoffending_reduced", "people", "Reduced reoffending"),
    ("sessions", "count", "Support sessions delivered"),
    ("volunteer_hours", "count", "Volunteer hours"),
    ("referrals_onward", "count", "Onward referrals made"),
    ("match_funding", "money", "Match funding secured"),
];

pub struct Stream {
    pub funder: &'static str,
    pub ringfenced: bool,
    pub return_due_days: Option<i32>,
}

pub struct Budget {
    pub stream: usize,
    pub year: FinancialYear,
    pub pence: i64,
    pub confirmed: bool,
}

pub struct Provider {
    pub kind: usize,
}

pub struct Contract {
    pub provider: usize,
    pub grant: bool,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub status: ContractStatus,
    pub value: i64,
    /// Its funding lines: `lines[first_line..first_line + line_count]`.
    pub first_line: usize,
    pub line_count: usize,
    pub return_due_days: Option<i32>,
    /// The measures its returns report (those of the streams its lines
    /// draw on, one per code, as the service resolves them).
    pub measures: Vec<usize>,
}

pub struct Line {
    pub contract: usize,
    pub stream: usize,
    pub year: FinancialYear,
    pub pence: i64,
}

pub struct Commitment {
    pub line: usize,
    pub quarter: FiscalQuarter,
    pub pence: i64,
}

pub struct Measure {
    pub stream: usize,
    pub code: &'static str,
    pub unit: &'static str,
    pub label: &'static str,
}

pub struct OutcomeReturn {
    pub contract: usize,
    pub quarter: FiscalQuarter,
    pub status: ReturnStatus,
    pub referrals: i64,
    pub people_supported: i64,
    pub spend: i64,
    pub narrative: Option<&'static str>,
    pub created_on: NaiveDate,
}

pub struct ReturnValue {
    pub outcome_return: usize,
    pub measure: usize,
    pub value: i64,
}

pub struct Payment {
    pub line: usize,
    pub pence: i64,
    pub paid_on: NaiveDate,
    pub quarter: FiscalQuarter,
    pub with_reference: bool,
}

/// A quarter of an awarded contract with no return yet: room for the
/// benchmark's POSTs.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    pub contract: usize,
    pub quarter: FiscalQuarter,
}

pub struct Dataset {
    pub ids: Ids,
    pub streams: Vec<Stream>,
    pub budgets: Vec<Budget>,
    pub providers: Vec<Provider>,
    pub contracts: Vec<Contract>,
    pub lines: Vec<Line>,
    pub commitments: Vec<Commitment>,
    pub measures: Vec<Measure>,
    pub returns: Vec<OutcomeReturn>,
    pub values: Vec<ReturnValue>,
    pub payments: Vec<Payment>,
    pub free_slots: Vec<Slot>,
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
}

fn plus_days(d: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 {
        d.checked_add_days(Days::new(days as u64))
    } else {
        d.checked_sub_days(Days::new(days.unsigned_abs()))
    }
    .expect("a date in range")
}

fn year(start_year: i32) -> FinancialYear {
    FinancialYear::new(start_year).expect("a supported year")
}

/// Splits `target` into per-item counts, each within `floor..=cap` and
/// roughly proportional to its cap, summing to exactly `target` when that is
/// possible (else as near as the caps and floors allow).
fn fit_counts(rng: &mut Rng, caps: &[usize], floor: usize, target: usize) -> Vec<usize> {
    let total: usize = caps.iter().sum();
    let least: usize = caps.iter().map(|c| floor.min(*c)).sum();
    let target = target.clamp(least, total);
    let ratio = if total == 0 {
        0.0
    } else {
        target as f64 / total as f64
    };
    let mut counts: Vec<usize> = caps
        .iter()
        .map(|&cap| {
            let exact = cap as f64 * ratio;
            let rounded = exact.floor() as usize + usize::from(rng.chance(exact.fract()));
            rounded.clamp(floor.min(cap), cap)
        })
        .collect();
    let mut order: Vec<usize> = (0..caps.len()).collect();
    rng.shuffle(&mut order);
    let mut sum: usize = counts.iter().sum();
    while sum != target {
        for &i in &order {
            if sum < target && counts[i] < caps[i] {
                counts[i] += 1;
                sum += 1;
            } else if sum > target && counts[i] > floor.min(caps[i]) {
                counts[i] -= 1;
                sum -= 1;
            }
            if sum == target {
                break;
            }
        }
    }
    counts
}

impl Dataset {
    pub fn generate(seed: u64, sizes: Sizes) -> Dataset {
        let ids = Ids::new(seed);
        let streams = streams(&mut Rng::new(seed, 1), sizes.streams);
        let measures = measures(&mut Rng::new(seed, 2), sizes.streams);
        let providers = providers(&mut Rng::new(seed, 3), sizes.providers);
        let (mut contracts, lines) = contracts_and_lines(&mut Rng::new(seed, 4), sizes);
        let budgets = budgets(&mut Rng::new(seed, 5), sizes.streams, &contracts, &lines);
        let commitments = commitments(&contracts, &lines);
        assign_measures(&mut contracts, &lines, &measures);
        let (returns, values, free_slots) =
            returns(&mut Rng::new(seed, 6), sizes.returns, &contracts, &measures);
        let payments = payments(&mut Rng::new(seed, 7), sizes.payments, &contracts, &lines);
        Dataset {
            ids,
            streams,
            budgets,
            providers,
            contracts,
            lines,
            commitments,
            measures,
            returns,
            values,
            payments,
            free_slots,
        }
    }
}

fn streams(rng: &mut Rng, count: usize) -> Vec<Stream> {
    (0..count)
        .map(|_| Stream {
            funder: FUNDERS[rng.below(FUNDERS.len() as u64) as usize],
            ringfenced: rng.chance(0.4),
            return_due_days: rng.chance(0.1).then_some(45),
        })
        .collect()
}

/// About 60% of streams ask for one to three measures.
fn measures(rng: &mut Rng, streams: usize) -> Vec<Measure> {
    let mut measures = Vec::new();
    for stream in 0..streams {
        if !rng.chance(0.6) {
            continue;
        }
        let mut codes: Vec<usize> = (0..MEASURE_CODES.len()).collect();
        rng.shuffle(&mut codes);
        let count = rng.between(1, 3) as usize;
        for &c in &codes[..count] {
            let (code, unit, label) = MEASURE_CODES[c];
            measures.push(Measure {
                stream,
                code,
                unit,
                label,
            });
        }
    }
    measures
}

fn providers(rng: &mut Rng, count: usize) -> Vec<Provider> {
    // charity, company, local authority, NHS body, police, other
    const SHARE: [f64; 6] = [0.55, 0.25, 0.08, 0.05, 0.02, 0.05];
    (0..count)
        .map(|_| {
            let mut u = rng.unit();
            let kind = SHARE
                .iter()
                .position(|share| {
                    u -= share;
                    u < 0.0
                })
                .unwrap_or(SHARE.len() - 1);
            Provider { kind }
        })
        .collect()
}

/// Contracts with their periods, statuses and funding lines. Each contract
/// draws on one stream (78%), two (16%) or three (6%); its candidate lines
/// are each stream × each financial year its period touches, and
/// `sizes.lines` of them are kept in all — at least one per contract,
/// preferring the years the period covers most, so that part-funded
/// contracts show each stream. The contract's value is the sum of its lines.
fn contracts_and_lines(rng: &mut Rng, sizes: Sizes) -> (Vec<Contract>, Vec<Line>) {
    let window_start = date(FIRST_YEAR, 4, 1);
    let window_end = date(LAST_YEAR + 1, 3, 31);
    let window_days = (window_end - window_start).num_days() + 1;

    struct Draft {
        contract: Contract,
        candidates: Vec<(usize, FinancialYear, u64)>,
        annual_pence: f64,
    }
    let mut drafts: Vec<Draft> = Vec::with_capacity(sizes.contracts);
    for _ in 0..sizes.contracts {
        // Mostly two to four years; some under a year. Any start day.
        let days = if rng.chance(0.08) {
            rng.between(120, 400)
        } else {
            rng.between(600, window_days)
        };
        let start = plus_days(window_start, rng.between(0, window_days - days));
        let end = plus_days(start, days - 1);
        let status = match rng.unit() {
            u if u < 0.03 => ContractStatus::Draft,
            u if u < 0.13 => ContractStatus::Ended,
            _ => ContractStatus::Active,
        };
        let stream_count = match rng.unit() {
            u if u < 0.78 => 1,
            u if u < 0.94 => 2,
            _ => 3,
        };
        let mut streams: Vec<usize> = Vec::with_capacity(stream_count);
        while streams.len() < stream_count.min(sizes.streams) {
            // Lower-numbered streams fund more contracts.
            let s = (sizes.streams as f64 * rng.unit().powf(1.5)) as usize;
            if !streams.contains(&s) {
                streams.push(s);
            }
        }
        let period = DateRange::new(start, end).expect("start before end");
        let mut years: Vec<(FinancialYear, u64)> = period
            .financial_years()
            .into_iter()
            .map(|y| {
                let covered = period.intersect(&y.date_range()).map_or(0, |r| r.days());
                (y, covered)
            })
            .collect();
        years.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let candidates = years
            .iter()
            .flat_map(|&(y, covered)| streams.iter().map(move |&s| (s, y, covered)))
            .collect();
        // £10k to £600k a year, log-uniform.
        let annual_pence = 1_000_000.0 * 60f64.powf(rng.unit());
        drafts.push(Draft {
            contract: Contract {
                provider: (sizes.providers as f64 * rng.unit().powf(1.6)) as usize,
                grant: rng.chance(0.55),
                start,
                end,
                status,
                value: 0,
                first_line: 0,
                line_count: 0,
                return_due_days: rng.chance(0.1).then_some(45),
                measures: Vec::new(),
            },
            candidates,
            annual_pence,
        });
    }

    let caps: Vec<usize> = drafts.iter().map(|d| d.candidates.len()).collect();
    let counts = fit_counts(rng, &caps, 1, sizes.lines);
    let mut contracts = Vec::with_capacity(drafts.len());
    let mut lines = Vec::with_capacity(sizes.lines);
    for (index, (draft, count)) in drafts.into_iter().zip(counts).enumerate() {
        let mut contract = draft.contract;
        contract.first_line = lines.len();
        contract.line_count = count;
        let chosen = &draft.candidates[..count];
        for &(stream, year, covered) in chosen {
            let streams_that_year = chosen.iter().filter(|c| c.1 == year).count() as f64;
            let share = draft.annual_pence * covered as f64 / 365.0 / streams_that_year;
            let mut pence = (share * (0.8 + 0.4 * rng.unit())) as i64;
            if rng.chance(0.7) {
                pence -= pence % 100; // whole pounds
            }
            let pence = pence.max(100);
            contract.value += pence;
            lines.push(Line {
                contract: index,
                stream,
                year,
                pence,
            });
        }
        contracts.push(contract);
    }
    (contracts, lines)
}

/// A budget for every stream and year: what awarded contracts commit,
/// plus 2-50% headroom, rounded up to £100; about 3% of stream-years
/// over-committed (budget 85-99% of the commitment). Later years are more
/// often indicative.
fn budgets(rng: &mut Rng, streams: usize, contracts: &[Contract], lines: &[Line]) -> Vec<Budget> {
    let mut committed: HashMap<(usize, FinancialYear), i64> = HashMap::new();
    for line in lines {
        if contracts[line.contract].status != ContractStatus::Draft {
            *committed.entry((line.stream, line.year)).or_default() += line.pence;
        }
    }
    let mut budgets = Vec::with_capacity(streams * 4);
    for stream in 0..streams {
        for start_year in FIRST_YEAR..=LAST_YEAR {
            let year = year(start_year);
            let used = committed.get(&(stream, year)).copied().unwrap_or(0);
            let factor = if rng.chance(0.03) {
                0.85 + 0.14 * rng.unit()
            } else {
                1.02 + 0.48 * rng.unit()
            };
            let pence = if used == 0 {
                rng.between(500, 5_000) * 10_000
            } else {
                let raw = (used as f64 * factor) as i64;
                (raw + 9_999) / 10_000 * 10_000
            };
            let indicative = match start_year - FIRST_YEAR {
                0 | 1 => 0.0,
                2 => 0.2,
                _ => 0.7,
            };
            budgets.push(Budget {
                stream,
                year,
                pence,
                confirmed: !rng.chance(indicative),
            });
        }
    }
    budgets
}

/// An index as an id, for the profile computation (which names lines and
/// streams by id): the index in the id's last group.
fn index_id<I: std::str::FromStr>(index: usize) -> I
where
    I::Err: std::fmt::Debug,
{
    format!("00000000-0000-7000-8000-{index:012x}")
        .parse()
        .expect("an id")
}

/// Every awarded contract's lines, profiled by quarter as the service does.
fn commitments(contracts: &[Contract], lines: &[Line]) -> Vec<Commitment> {
    let mut rows = Vec::with_capacity(lines.len() * 4);
    for contract in contracts {
        if contract.status == ContractStatus::Draft {
            continue;
        }
        let own = contract.first_line..contract.first_line + contract.line_count;
        let funding: Vec<FundingLine> = own
            .clone()
            .map(|i| FundingLine {
                id: index_id(i),
                funding_stream_id: index_id(lines[i].stream),
                financial_year: lines[i].year,
                amount: Money::from_pence(lines[i].pence),
                quarters: None,
                profiled: false,
            })
            .collect();
        let period = DateRange::new(contract.start, contract.end).expect("start before end");
        for part in profile_lines(period, &funding) {
            rows.push(Commitment {
                line: usize::from_str_radix(&part.funding_line_id.as_str()[24..], 16)
                    .expect("an index"),
                quarter: FiscalQuarter {
                    year: part.financial_year,
                    quarter: part.quarter,
                },
                pence: part.amount.pence(),
            });
        }
    }
    rows
}

/// The measures each contract reports: those of the streams its lines draw
/// on, in id order, the first of each code (no contract has its own).
fn assign_measures(contracts: &mut [Contract], lines: &[Line], measures: &[Measure]) {
    let mut by_stream: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, m) in measures.iter().enumerate() {
        by_stream.entry(m.stream).or_default().push(i);
    }
    for contract in contracts {
        let mut applicable: Vec<usize> = lines
            [contract.first_line..contract.first_line + contract.line_count]
            .iter()
            .flat_map(|l| by_stream.get(&l.stream).into_iter().flatten().copied())
            .collect();
        applicable.sort_unstable();
        applicable.dedup();
        let mut codes: Vec<&str> = Vec::new();
        applicable.retain(|&m| {
            let fresh = !codes.contains(&measures[m].code);
            codes.push(measures[m].code);
            fresh
        });
        contract.measures = applicable;
    }
}

const NARRATIVES: [&str; 3] = [
    "Delivery on plan this quarter.",
    "Demand rose; we've added an evening session.",
    "Two staff vacancies filled; waiting list down.",
];

/// `target` returns over the quarters awarded contracts cover, earliest
/// quarters first (the latest are the ones not yet in), leaving the rest as
/// free slots. A contract's latest return is the one most likely still a
/// draft or awaiting review; the rest are accepted. Submitted and accepted
/// returns have a value for every measure, as submitting requires; half the
/// drafts have them.
fn returns(
    rng: &mut Rng,
    target: usize,
    contracts: &[Contract],
    measures: &[Measure],
) -> (Vec<OutcomeReturn>, Vec<ReturnValue>, Vec<Slot>) {
    let quarters: Vec<Vec<FiscalQuarter>> = contracts
        .iter()
        .map(|c| match c.status {
            ContractStatus::Draft => Vec::new(),
            _ => DateRange::new(c.start, c.end)
                .expect("start before end")
                .quarters(),
        })
        .collect();
    let caps: Vec<usize> = quarters.iter().map(Vec::len).collect();
    let counts = fit_counts(rng, &caps, 0, target);
    let mut returns = Vec::with_capacity(target);
    let mut values = Vec::new();
    let mut free = Vec::new();
    for (index, (contract, (quarters, count))) in contracts
        .iter()
        .zip(quarters.iter().zip(counts))
        .enumerate()
    {
        let annual =
            contract.value as f64 * 365.0 / ((contract.end - contract.start).num_days() + 1) as f64;
        for (n, &quarter) in quarters.iter().enumerate() {
            if n >= count {
                free.push(Slot {
                    contract: index,
                    quarter,
                });
                continue;
            }
            let status = if n + 1 == count {
                match rng.unit() {
                    u if u < 0.35 => ReturnStatus::Draft,
                    u if u < 0.60 => ReturnStatus::Submitted,
                    _ => ReturnStatus::Accepted,
                }
            } else if n + 2 == count && rng.chance(0.1) {
                ReturnStatus::Submitted
            } else {
                ReturnStatus::Accepted
            };
            let referrals = (400.0 * rng.unit().powi(2)) as i64;
            let people_supported = (referrals as f64 * (0.5 + 0.5 * rng.unit())) as i64;
            let spend = (annual / 4.0 * (0.6 + 0.4 * rng.unit())) as i64;
            let narrative = rng
                .chance(0.2)
                .then(|| NARRATIVES[rng.below(NARRATIVES.len() as u64) as usize]);
            let with_values = status != ReturnStatus::Draft || rng.chance(0.5);
            if with_values {
                for &m in &contract.measures {
                    let value = match measures[m].unit {
                        "money" => rng.between(0, spend.max(1)),
                        _ => rng.between(0, people_supported.max(1) * 2),
                    };
                    values.push(ReturnValue {
                        outcome_return: returns.len(),
                        measure: m,
                        value,
                    });
                }
            }
            returns.push(OutcomeReturn {
                contract: index,
                quarter,
                status,
                referrals,
                people_supported,
                spend,
                narrative,
                created_on: plus_days(quarter.end_date(), rng.between(3, 30)),
            });
        }
    }
    (returns, values, free)
}

/// `target` payments against awarded contracts' lines, each on a day its
/// line's year and the contract period share, never paying a line more
/// than it holds.
fn payments(rng: &mut Rng, target: usize, contracts: &[Contract], lines: &[Line]) -> Vec<Payment> {
    let mut remaining: Vec<i64> = lines.iter().map(|l| l.pence).collect();
    let payable: Vec<usize> = (0..lines.len())
        .filter(|&i| contracts[lines[i].contract].status != ContractStatus::Draft)
        .collect();
    let mut payments = Vec::with_capacity(target);
    let mut misses = 0usize;
    while payments.len() < target && misses < target * 20 {
        let line = payable[rng.below(payable.len() as u64) as usize];
        if remaining[line] <= 0 {
            misses += 1;
            continue;
        }
        let contract = &contracts[lines[line].contract];
        let span = DateRange::new(contract.start, contract.end)
            .expect("start before end")
            .intersect(&lines[line].year.date_range())
            .expect("the line's year is in the period");
        let paid_on = plus_days(span.start(), rng.between(0, span.days() as i64 - 1));
        let share = (lines[line].pence as f64 * (0.05 + 0.25 * rng.unit())) as i64;
        let pence = share.clamp(1, remaining[line]);
        remaining[line] -= pence;
        payments.push(Payment {
            line,
            pence,
            paid_on,
            quarter: FiscalQuarter::containing(paid_on),
            with_reference: rng.chance(0.8),
        });
    }
    payments
}
