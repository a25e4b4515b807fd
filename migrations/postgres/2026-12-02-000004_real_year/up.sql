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
ALTER TABLE outcome_returns
    ALTER COLUMN referrals DROP NOT NULL,
    ALTER COLUMN people_supported DROP NOT NULL,
    ADD COLUMN received_on DATE;

-- A measure's value may be recorded as not reported (NULL).
ALTER TABLE outcome_return_values ALTER COLUMN value DROP NOT NULL;

-- Payments: a reversal is a negative entry referencing the payment it
-- reverses, at most one per payment.
ALTER TABLE payments
    DROP CONSTRAINT payments_amount_pence_check,
    ADD CONSTRAINT payments_amount_pence_check CHECK (amount_pence <> 0),
    ADD COLUMN reverses_payment_id TEXT REFERENCES payments(id),
    ADD COLUMN reason TEXT,
    ADD CONSTRAINT payments_reversal_sign CHECK ((reverses_payment_id IS NULL) = (amount_pence > 0));
CREATE UNIQUE INDEX payments_reversal ON payments (reverses_payment_id);
