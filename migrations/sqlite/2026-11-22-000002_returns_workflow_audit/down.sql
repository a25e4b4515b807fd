DROP TABLE idempotency_keys;
DROP TABLE audit_events;
DROP TABLE outcome_return_versions;
ALTER TABLE outcome_returns DROP COLUMN first_submitted_at;
ALTER TABLE outcome_returns DROP COLUMN query_comment;
ALTER TABLE contracts DROP COLUMN return_due_days;
ALTER TABLE funding_streams DROP COLUMN return_due_days;
