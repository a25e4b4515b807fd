//! The provider report: what each provider is awarded and paid, per stream
//! and across all streams — "what do we give this charity in total?".

use crate::domain::id::{FundingStreamId, ProviderId};
use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::{add, sub, StreamName};
use crate::csv::{Cell, Csv};
use crate::domain::error::DomainError;
use crate::fiscal::{FinancialYear, YearRange};
use crate::money::Money;

#[derive(Debug, Clone)]
pub struct ProviderFilter {
    pub years: YearRange,
    pub provider_id: Option<ProviderId>,
    pub funding_stream_id: Option<FundingStreamId>,
}

/// What the database sums for the provider report.
#[derive(Debug, Clone, Default)]
pub struct ProviderSums {
    /// (id, name) of every provider that appears below.
    pub providers: Vec<(ProviderId, String)>,
    pub streams: Vec<StreamName>,
    /// (provider, stream, contracts, awarded) from awarded contracts' lines.
    pub awarded: Vec<(ProviderId, FundingStreamId, u32, Money)>,
    /// (provider, contracts) counted across all streams: a contract funded
    /// by two streams counts once.
    pub contracts: Vec<(ProviderId, u32)>,
    /// (provider, stream, paid).
    pub paid: Vec<(ProviderId, FundingStreamId, Money)>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderReport {
    pub from: FinancialYear,
    pub to: FinancialYear,
    /// Providers awarded or paid anything in the years, by name.
    pub providers: Vec<ProviderLine>,
    pub total: ProviderTotals,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderLine {
    pub provider_id: ProviderId,
    pub provider_name: String,
    /// Awarded contracts with money in the years.
    pub contracts: u32,
    /// Committed to the provider in the years, all streams.
    pub awarded: Money,
    pub paid: Money,
    /// Awarded minus paid.
    pub unpaid: Money,
    /// The same per stream, by stream code.
    pub streams: Vec<ProviderStreamLine>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderStreamLine {
    pub funding_stream_id: FundingStreamId,
    pub funding_stream_code: String,
    pub funding_stream_name: String,
    pub contracts: u32,
    pub awarded: Money,
    pub paid: Money,
    pub unpaid: Money,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ProviderTotals {
    pub providers: u32,
    pub contracts: u32,
    pub awarded: Money,
    pub paid: Money,
    pub unpaid: Money,
}

#[derive(Default)]
struct StreamSums {
    contracts: u32,
    awarded: Money,
    paid: Money,
}

impl ProviderReport {
    pub fn assemble(years: YearRange, sums: ProviderSums) -> Result<ProviderReport, DomainError> {
        let mut cells: BTreeMap<ProviderId, BTreeMap<FundingStreamId, StreamSums>> =
            BTreeMap::new();
        for (provider, stream, contracts, awarded) in sums.awarded {
            let cell = cells
                .entry(provider)
                .or_default()
                .entry(stream)
                .or_default();
            cell.contracts = contracts;
            cell.awarded = awarded;
        }
        for (provider, stream, paid) in sums.paid {
            cells
                .entry(provider)
                .or_default()
                .entry(stream)
                .or_default()
                .paid = paid;
        }
        let contracts: BTreeMap<ProviderId, u32> = sums.contracts.into_iter().collect();
        let streams: BTreeMap<FundingStreamId, &StreamName> =
            sums.streams.iter().map(|s| (s.id, s)).collect();

        let mut providers = sums.providers;
        providers.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        let mut lines = Vec::new();
        let mut total = ProviderTotals::default();
        for (provider_id, provider_name) in providers {
            let mut stream_lines = Vec::new();
            let provider_cells = cells.get(&provider_id).into_iter().flatten();
            for (stream_id, cell) in provider_cells {
                let Some(stream) = streams.get(stream_id) else {
                    continue;
                };
                stream_lines.push(ProviderStreamLine {
                    funding_stream_id: stream.id,
                    funding_stream_code: stream.code.clone(),
                    funding_stream_name: stream.name.clone(),
                    contracts: cell.contracts,
                    awarded: cell.awarded,
                    paid: cell.paid,
                    unpaid: sub(cell.awarded, cell.paid)?,
                });
            }
            if stream_lines.is_empty() {
                continue;
            }
            stream_lines.sort_by(|a, b| a.funding_stream_code.cmp(&b.funding_stream_code));
            let awarded =
                Money::sum(stream_lines.iter().map(|s| s.awarded)).map_err(super::too_large)?;
            let paid = Money::sum(stream_lines.iter().map(|s| s.paid)).map_err(super::too_large)?;
            let line = ProviderLine {
                contracts: contracts.get(&provider_id).copied().unwrap_or(0),
                provider_id,
                provider_name,
                awarded,
                paid,
                unpaid: sub(awarded, paid)?,
                streams: stream_lines,
            };
            total.providers += 1;
            total.contracts += line.contracts;
            total.awarded = add(total.awarded, line.awarded)?;
            total.paid = add(total.paid, line.paid)?;
            lines.push(line);
        }
        total.unpaid = sub(total.awarded, total.paid)?;
        Ok(ProviderReport {
            from: years.from(),
            to: years.to(),
            providers: lines,
            total,
        })
    }

    /// One `stream` row per provider and stream, then the provider's
    /// `provider` row across all streams.
    pub fn to_csv(&self) -> String {
        let mut csv = Csv::new(&[
            "row",
            "provider_id",
            "provider_name",
            "funding_stream_code",
            "funding_stream_name",
            "contracts",
            "awarded",
            "paid",
            "unpaid",
        ]);
        for provider in &self.providers {
            for stream in &provider.streams {
                csv.row(vec![
                    Cell::text("stream"),
                    Cell::text(provider.provider_id.as_str()),
                    Cell::text(&provider.provider_name),
                    Cell::text(&stream.funding_stream_code),
                    Cell::text(&stream.funding_stream_name),
                    Cell::number(stream.contracts),
                    Cell::number(stream.awarded),
                    Cell::number(stream.paid),
                    Cell::number(stream.unpaid),
                ]);
            }
            csv.row(vec![
                Cell::text("provider"),
                Cell::text(provider.provider_id.as_str()),
                Cell::text(&provider.provider_name),
                Cell::Empty,
                Cell::text("All streams"),
                Cell::number(provider.contracts),
                Cell::number(provider.awarded),
                Cell::number(provider.paid),
                Cell::number(provider.unpaid),
            ]);
        }
        csv.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provider_totals_its_streams_and_counts_each_contract_once() {
        let m = |s: &str| Money::parse(s).unwrap();
        let stream = |id: &str, code: &str| StreamName {
            id: id.into(),
            code: code.to_owned(),
            name: code.to_owned(),
        };
        let sums = ProviderSums {
            providers: vec![
                ("p2".into(), "Oasis DA".into()),
                ("p1".into(), "Dandelion Time".into()),
                ("p3".into(), "Nothing this year".into()),
            ],
            streams: vec![stream("s1", "VSS"), stream("s2", "SS")],
            awarded: vec![
                ("p1".into(), "s2".into(), 1, m("45000.00")),
                ("p1".into(), "s1".into(), 1, m("15000.00")),
                ("p2".into(), "s1".into(), 2, m("60000.00")),
            ],
            contracts: vec![("p1".into(), 1), ("p2".into(), 2)],
            paid: vec![("p1".into(), "s2".into(), m("22500.00"))],
        };
        let year = FinancialYear::parse("2022-23").unwrap();
        let report = ProviderReport::assemble(YearRange::single(year), sums).unwrap();
        assert_eq!(
            report.providers.len(),
            2,
            "no line for a provider with nothing"
        );
        let dandelion = &report.providers[0];
        assert_eq!(dandelion.provider_name, "Dandelion Time");
        assert_eq!(dandelion.contracts, 1);
        assert_eq!(dandelion.awarded, m("60000.00"));
        assert_eq!(dandelion.unpaid, m("37500.00"));
        assert_eq!(
            dandelion
                .streams
                .iter()
                .map(|s| s.funding_stream_code.as_str())
                .collect::<Vec<_>>(),
            ["SS", "VSS"]
        );
        assert_eq!(report.total.providers, 2);
        assert_eq!(report.total.contracts, 3);
        assert_eq!(report.total.awarded, m("120000.00"));
        assert_eq!(report.total.paid, m("22500.00"));
    }
}
