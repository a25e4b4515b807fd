PRAGMA foreign_keys = OFF;
BEGIN;

-- When returns are due: a rule per organisation, stream or contract.
-- `days_after_quarter_end` uses return_due_days; `end_of_following_month`
-- needs none. Both NULL: inherit (contract <- streams <- organisation <-
-- one calendar month).
ALTER TABLE organisations ADD COLUMN return_due_rule TEXT
    CHECK (return_due_rule IN ('days_after_quarter_end', 'end_of_following_month'));
ALTER TABLE organisations ADD COLUMN return_due_days INTEGER;
ALTER TABLE funding_streams ADD COLUMN return_due_rule TEXT
    CHECK (return_due_rule IN ('days_after_quarter_end', 'end_of_following_month'));
ALTER TABLE contracts ADD COLUMN return_due_rule TEXT
    CHECK (return_due_rule IN ('days_after_quarter_end', 'end_of_following_month'));
UPDATE funding_streams SET return_due_rule = 'days_after_quarter_end' WHERE return_due_days IS NOT NULL;
UPDATE contracts SET return_due_rule = 'days_after_quarter_end' WHERE return_due_days IS NOT NULL;

-- A provider's name as duplicates are found by: case and spacing ignored.
-- Filled in by the service at start-up for rows made before it existed.
ALTER TABLE providers ADD COLUMN name_key TEXT;
CREATE INDEX providers_name_key ON providers (organisation_id, name_key);

-- A measure a return may leave unreported.
ALTER TABLE outcome_measures ADD COLUMN required BOOLEAN NOT NULL DEFAULT TRUE;

-- A line the service spread over the contract's years itself (from one
-- line with no financial year): its pennies may be re-placed, within a
-- penny of each year's exact share, so the award fits every budget.
ALTER TABLE funding_lines ADD COLUMN profiled BOOLEAN NOT NULL DEFAULT FALSE;

-- A line's own quarterly schedule, used as given instead of a profile by days.
CREATE TABLE funding_line_quarters (
    funding_line_id TEXT NOT NULL REFERENCES funding_lines(id) ON DELETE CASCADE,
    quarter TEXT NOT NULL CHECK (quarter IN ('Q1', 'Q2', 'Q3', 'Q4')),
    amount_pence BIGINT NOT NULL CHECK (amount_pence >= 0),
    PRIMARY KEY (funding_line_id, quarter)
);

-- Returns: referrals and people supported may be not reported (NULL), and
-- a return entered for a provider records when it was received.
CREATE TABLE outcome_returns_new (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    contract_id TEXT NOT NULL REFERENCES contracts(id),
    financial_year TEXT NOT NULL,
    quarter TEXT NOT NULL CHECK (quarter IN ('Q1', 'Q2', 'Q3', 'Q4')),
    status TEXT NOT NULL,
    referrals BIGINT CHECK (referrals >= 0),
    people_supported BIGINT CHECK (people_supported >= 0),
    spend_pence BIGINT NOT NULL CHECK (spend_pence >= 0),
    narrative TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    query_comment TEXT,
    first_submitted_at TIMESTAMP,
    received_on DATE,
    UNIQUE (contract_id, financial_year, quarter)
);
INSERT INTO outcome_returns_new (id, organisation_id, contract_id, financial_year, quarter,
        status, referrals, people_supported, spend_pence, narrative, created_at, updated_at,
        query_comment, first_submitted_at)
    SELECT id, organisation_id, contract_id, financial_year, quarter, status, referrals,
        people_supported, spend_pence, narrative, created_at, updated_at, query_comment,
        first_submitted_at
    FROM outcome_returns;
DROP TABLE outcome_returns;
ALTER TABLE outcome_returns_new RENAME TO outcome_returns;
CREATE INDEX outcome_returns_organisation ON outcome_returns (organisation_id, financial_year, quarter);

-- A measure's value may be recorded as not reported (NULL).
CREATE TABLE outcome_return_values_new (
    outcome_return_id TEXT NOT NULL REFERENCES outcome_returns(id) ON DELETE CASCADE,
    outcome_measure_id TEXT NOT NULL REFERENCES outcome_measures(id),
    value BIGINT CHECK (value >= 0),
    PRIMARY KEY (outcome_return_id, outcome_measure_id)
);
INSERT INTO outcome_return_values_new SELECT outcome_return_id, outcome_measure_id, value
    FROM outcome_return_values;
DROP TABLE outcome_return_values;
ALTER TABLE outcome_return_values_new RENAME TO outcome_return_values;

-- Payments: a reversal is a negative entry referencing the payment it
-- reverses, at most one per payment.
CREATE TABLE payments_new (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES contracts(id),
    funding_stream_id TEXT NOT NULL REFERENCES funding_streams(id),
    amount_pence BIGINT NOT NULL CHECK (amount_pence <> 0),
    paid_on DATE NOT NULL,
    financial_year TEXT NOT NULL,
    quarter TEXT NOT NULL,
    reference TEXT,
    recorded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    reverses_payment_id TEXT REFERENCES payments(id),
    reason TEXT,
    CHECK ((reverses_payment_id IS NULL) = (amount_pence > 0))
);
INSERT INTO payments_new (id, contract_id, funding_stream_id, amount_pence, paid_on,
        financial_year, quarter, reference, recorded_by, created_at)
    SELECT id, contract_id, funding_stream_id, amount_pence, paid_on, financial_year, quarter,
        reference, recorded_by, created_at
    FROM payments;
DROP TABLE payments;
ALTER TABLE payments_new RENAME TO payments;
CREATE INDEX payments_contract ON payments (contract_id, paid_on);
CREATE INDEX payments_stream_year_quarter
    ON payments (funding_stream_id, financial_year, quarter, amount_pence);
CREATE UNIQUE INDEX payments_reversal ON payments (reverses_payment_id);

COMMIT;
PRAGMA foreign_keys = ON;
