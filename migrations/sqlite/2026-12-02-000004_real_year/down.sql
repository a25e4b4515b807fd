PRAGMA foreign_keys = OFF;
BEGIN;

DELETE FROM payments WHERE reverses_payment_id IS NOT NULL;
CREATE TABLE payments_old (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES contracts(id),
    funding_stream_id TEXT NOT NULL REFERENCES funding_streams(id),
    amount_pence BIGINT NOT NULL CHECK (amount_pence > 0),
    paid_on DATE NOT NULL,
    financial_year TEXT NOT NULL,
    quarter TEXT NOT NULL,
    reference TEXT,
    recorded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO payments_old SELECT id, contract_id, funding_stream_id, amount_pence, paid_on,
        financial_year, quarter, reference, recorded_by, created_at
    FROM payments;
DROP TABLE payments;
ALTER TABLE payments_old RENAME TO payments;
CREATE INDEX payments_contract ON payments (contract_id, paid_on);
CREATE INDEX payments_stream_year_quarter
    ON payments (funding_stream_id, financial_year, quarter, amount_pence);

CREATE TABLE outcome_return_values_old (
    outcome_return_id TEXT NOT NULL REFERENCES outcome_returns(id) ON DELETE CASCADE,
    outcome_measure_id TEXT NOT NULL REFERENCES outcome_measures(id),
    value BIGINT NOT NULL CHECK (value >= 0),
    PRIMARY KEY (outcome_return_id, outcome_measure_id)
);
INSERT INTO outcome_return_values_old SELECT outcome_return_id, outcome_measure_id, value
    FROM outcome_return_values WHERE value IS NOT NULL;
DROP TABLE outcome_return_values;
ALTER TABLE outcome_return_values_old RENAME TO outcome_return_values;

CREATE TABLE outcome_returns_old (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    contract_id TEXT NOT NULL REFERENCES contracts(id),
    financial_year TEXT NOT NULL,
    quarter TEXT NOT NULL CHECK (quarter IN ('Q1', 'Q2', 'Q3', 'Q4')),
    status TEXT NOT NULL,
    referrals BIGINT NOT NULL CHECK (referrals >= 0),
    people_supported BIGINT NOT NULL CHECK (people_supported >= 0),
    spend_pence BIGINT NOT NULL CHECK (spend_pence >= 0),
    narrative TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    query_comment TEXT,
    first_submitted_at TIMESTAMP,
    UNIQUE (contract_id, financial_year, quarter)
);
INSERT INTO outcome_returns_old SELECT id, organisation_id, contract_id, financial_year,
        quarter, status, COALESCE(referrals, 0), COALESCE(people_supported, 0), spend_pence,
        narrative, created_at, updated_at, query_comment, first_submitted_at
    FROM outcome_returns;
DROP TABLE outcome_returns;
ALTER TABLE outcome_returns_old RENAME TO outcome_returns;
CREATE INDEX outcome_returns_organisation ON outcome_returns (organisation_id, financial_year, quarter);

DROP TABLE funding_line_quarters;
ALTER TABLE funding_lines DROP COLUMN profiled;
ALTER TABLE outcome_measures DROP COLUMN required;
DROP INDEX providers_name_key;
ALTER TABLE providers DROP COLUMN name_key;
ALTER TABLE contracts DROP COLUMN return_due_rule;
ALTER TABLE funding_streams DROP COLUMN return_due_rule;
ALTER TABLE organisations DROP COLUMN return_due_days;
ALTER TABLE organisations DROP COLUMN return_due_rule;

COMMIT;
PRAGMA foreign_keys = ON;
