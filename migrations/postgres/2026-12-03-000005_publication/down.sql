DROP TABLE contract_publication;
ALTER TABLE providers DROP COLUMN org_id;
ALTER TABLE organisations DROP COLUMN publication_enabled;
ALTER TABLE organisations DROP COLUMN spend_threshold_pence;
ALTER TABLE organisations DROP COLUMN contracts_threshold_pence;
ALTER TABLE organisations DROP COLUMN publisher_name;
ALTER TABLE organisations DROP COLUMN ocid_prefix;
ALTER TABLE organisations DROP COLUMN grant_prefix;
ALTER TABLE organisations DROP COLUMN publisher_org_id;
