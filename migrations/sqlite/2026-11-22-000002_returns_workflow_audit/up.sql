-- Days after quarter end a return is due; NULL means one calendar month.
ALTER TABLE funding_streams ADD COLUMN return_due_days INTEGER;
ALTER TABLE contracts ADD COLUMN return_due_days INTEGER;

ALTER TABLE outcome_returns ADD COLUMN query_comment TEXT;
ALTER TABLE outcome_returns ADD COLUMN first_submitted_at TIMESTAMP;

-- Every write to a return appends a version: who, when, the full figures.
CREATE TABLE outcome_return_versions (
    id TEXT PRIMARY KEY NOT NULL,
    outcome_return_id TEXT NOT NULL REFERENCES outcome_returns(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    event TEXT NOT NULL,
    status TEXT NOT NULL,
    figures TEXT NOT NULL,
    comment TEXT,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    UNIQUE (outcome_return_id, version)
);

-- Who changed what, written in the same transaction as the change.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_events_resource ON audit_events (organisation_id, resource_type, resource_id);
CREATE INDEX audit_events_time ON audit_events (organisation_id, occurred_at);

-- Responses to creations made with an Idempotency-Key, replayed on retry.
CREATE TABLE idempotency_keys (
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    actor TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    location TEXT,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, actor, idempotency_key)
);
