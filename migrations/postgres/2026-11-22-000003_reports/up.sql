-- The commitment of each funding line of an awarded (non-draft) contract,
-- profiled across the quarters of its financial year that the contract
-- period covers. Written by the service whenever a contract is activated,
-- varied or ended, so budget and provider reports are plain sums.
CREATE TABLE commitment_quarters (
    funding_line_id TEXT NOT NULL REFERENCES funding_lines(id) ON DELETE CASCADE,
    quarter TEXT NOT NULL CHECK (quarter IN ('Q1', 'Q2', 'Q3', 'Q4')),
    contract_id TEXT NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    funding_stream_id TEXT NOT NULL REFERENCES funding_streams(id),
    financial_year TEXT NOT NULL,
    amount_pence BIGINT NOT NULL CHECK (amount_pence >= 0),
    PRIMARY KEY (funding_line_id, quarter)
);
-- Covering indexes: the budget report reads stream x year x quarter sums,
-- the provider report provider x stream sums, without touching the table.
CREATE INDEX commitment_quarters_stream_year
    ON commitment_quarters (funding_stream_id, financial_year, quarter, amount_pence);
CREATE INDEX commitment_quarters_provider
    ON commitment_quarters (provider_id, financial_year, funding_stream_id, contract_id, amount_pence);
CREATE INDEX commitment_quarters_contract ON commitment_quarters (contract_id);

-- Payments summed by stream, year and quarter from the index alone.
DROP INDEX payments_stream_year;
CREATE INDEX payments_stream_year_quarter
    ON payments (funding_stream_id, financial_year, quarter, amount_pence);

