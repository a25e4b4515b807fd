DROP INDEX payments_reversal;
DELETE FROM payments WHERE reverses_payment_id IS NOT NULL;
ALTER TABLE payments
    DROP CONSTRAINT payments_reversal_sign,
    DROP COLUMN reason,
    DROP COLUMN reverses_payment_id,
    DROP CONSTRAINT payments_amount_pence_check,
    ADD CONSTRAINT payments_amount_pence_check CHECK (amount_pence > 0);

DELETE FROM outcome_return_values WHERE value IS NULL;
ALTER TABLE outcome_return_values ALTER COLUMN value SET NOT NULL;

UPDATE outcome_returns SET referrals = COALESCE(referrals, 0),
    people_supported = COALESCE(people_supported, 0);
ALTER TABLE outcome_returns
    DROP COLUMN received_on,
    ALTER COLUMN referrals SET NOT NULL,
    ALTER COLUMN people_supported SET NOT NULL;

DROP TABLE funding_line_quarters;
ALTER TABLE funding_lines DROP COLUMN profiled;
ALTER TABLE outcome_measures DROP COLUMN required;
DROP INDEX providers_name_key;
ALTER TABLE providers DROP COLUMN name_key;
ALTER TABLE contracts DROP COLUMN return_due_rule;
ALTER TABLE funding_streams DROP COLUMN return_due_rule;
ALTER TABLE organisations DROP COLUMN return_due_days;
ALTER TABLE organisations DROP COLUMN return_due_rule;
