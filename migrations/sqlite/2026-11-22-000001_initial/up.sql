-- Ids are UUIDv7 strings, money is BIGINT pence, financial years are "2022-23".
CREATE TABLE organisations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE funding_streams (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    funder TEXT NOT NULL,
    ringfenced BOOLEAN NOT NULL,
    description TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (organisation_id, code)
);

CREATE TABLE stream_budgets (
    funding_stream_id TEXT NOT NULL REFERENCES funding_streams(id) ON DELETE CASCADE,
    financial_year TEXT NOT NULL,
    amount_pence BIGINT NOT NULL CHECK (amount_pence >= 0),
    status TEXT NOT NULL CHECK (status IN ('indicative', 'confirmed')),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (funding_stream_id, financial_year)
);

CREATE TABLE providers (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    charity_number TEXT,
    company_number TEXT,
    contact_name TEXT,
    contact_email TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (organisation_id, charity_number),
    UNIQUE (organisation_id, company_number)
);
CREATE INDEX providers_organisation_name ON providers (organisation_id, name);

CREATE TABLE contracts (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    provider_id TEXT NOT NULL REFERENCES providers(id),
    kind TEXT NOT NULL CHECK (kind IN ('contract', 'grant')),
    reference TEXT,
    title TEXT NOT NULL,
    purpose TEXT,
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    value_pence BIGINT NOT NULL CHECK (value_pence > 0),
    status TEXT NOT NULL CHECK (status IN ('draft', 'active', 'ended', 'terminated')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (start_date <= end_date)
);
CREATE INDEX contracts_organisation_provider ON contracts (organisation_id, provider_id);

CREATE TABLE funding_lines (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
    funding_stream_id TEXT NOT NULL REFERENCES funding_streams(id),
    financial_year TEXT NOT NULL,
    amount_pence BIGINT NOT NULL CHECK (amount_pence > 0),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (contract_id, funding_stream_id, financial_year)
);
CREATE INDEX funding_lines_stream_year ON funding_lines (funding_stream_id, financial_year);

CREATE TABLE contract_variations (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('variation', 'activation', 'ending', 'termination')),
    value_before_pence BIGINT NOT NULL,
    value_after_pence BIGINT NOT NULL,
    end_date_before DATE NOT NULL,
    end_date_after DATE NOT NULL,
    status_before TEXT NOT NULL,
    status_after TEXT NOT NULL,
    reason TEXT NOT NULL,
    decision_reference TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX contract_variations_contract ON contract_variations (contract_id, recorded_at);

CREATE TABLE payments (
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
CREATE INDEX payments_contract ON payments (contract_id, paid_on);
CREATE INDEX payments_stream_year ON payments (funding_stream_id, financial_year);

CREATE TABLE outcome_measures (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    funding_stream_id TEXT REFERENCES funding_streams(id),
    contract_id TEXT REFERENCES contracts(id),
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    unit TEXT NOT NULL CHECK (unit IN ('count', 'people', 'money')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((funding_stream_id IS NULL) <> (contract_id IS NULL)),
    UNIQUE (funding_stream_id, code),
    UNIQUE (contract_id, code)
);

CREATE TABLE outcome_returns (
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
    UNIQUE (contract_id, financial_year, quarter)
);
CREATE INDEX outcome_returns_organisation ON outcome_returns (organisation_id, financial_year, quarter);

CREATE TABLE outcome_return_values (
    outcome_return_id TEXT NOT NULL REFERENCES outcome_returns(id) ON DELETE CASCADE,
    outcome_measure_id TEXT NOT NULL REFERENCES outcome_measures(id),
    value BIGINT NOT NULL CHECK (value >= 0),
    PRIMARY KEY (outcome_return_id, outcome_measure_id)
);
