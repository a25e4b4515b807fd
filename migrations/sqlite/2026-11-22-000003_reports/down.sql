DROP INDEX payments_stream_year_quarter;
CREATE INDEX payments_stream_year ON payments (funding_stream_id, financial_year);
DROP TABLE commitment_quarters;
