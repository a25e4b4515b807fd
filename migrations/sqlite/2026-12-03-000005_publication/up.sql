-- What publication needs of the organisation: its own org-id, its
-- 360Giving and OCDS prefixes, the name it publishes under, the register
-- thresholds (a PCC's contracts register lists contracts over £10,000, its
-- spend register items over £500) and whether its documents are public.
ALTER TABLE organisations ADD COLUMN publisher_org_id TEXT;
ALTER TABLE organisations ADD COLUMN grant_prefix TEXT;
ALTER TABLE organisations ADD COLUMN ocid_prefix TEXT;
ALTER TABLE organisations ADD COLUMN publisher_name TEXT;
ALTER TABLE organisations ADD COLUMN contracts_threshold_pence BIGINT NOT NULL DEFAULT 1000000
    CHECK (contracts_threshold_pence >= 0);
ALTER TABLE organisations ADD COLUMN spend_threshold_pence BIGINT NOT NULL DEFAULT 50000
    CHECK (spend_threshold_pence >= 0);
ALTER TABLE organisations ADD COLUMN publication_enabled BOOLEAN NOT NULL DEFAULT FALSE;

-- An org-id the registered numbers cannot give (GB-LAE-…, GB-NHS-…).
ALTER TABLE providers ADD COLUMN org_id TEXT;

-- What a contract's publication says beyond its terms; one row per
-- contract once any is recorded. A withheld contract is in no publication.
CREATE TABLE contract_publication (
    contract_id TEXT PRIMARY KEY NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
    description TEXT,
    procurement_route TEXT CHECK (procurement_route IN ('open', 'selective', 'limited', 'direct')),
    sme BOOLEAN,
    vcse BOOLEAN,
    beneficiary_locations TEXT NOT NULL DEFAULT '[]',
    grant_conditions TEXT,
    grant_reasons TEXT,
    awarded_on DATE,
    review_date DATE,
    withheld BOOLEAN NOT NULL DEFAULT FALSE,
    withheld_reason TEXT,
    updated_at TIMESTAMP NOT NULL,
    CHECK (withheld = FALSE OR withheld_reason IS NOT NULL)
);
