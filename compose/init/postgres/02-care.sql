-- compose/init/postgres/02-care.sql: the customer-care system of record
-- (database care: complaints_feedback), what the CDC role may read of it,
-- and the publication pgcdc2jsonl streams.
--
-- Runs on PostgreSQL 14 and 15 with psql (it uses \gexec and \connect), as a
-- superuser, after 00-roles.sql. Running it again changes nothing.
-- Server settings for CDC: see 00-roles.sql (wal_level = logical).

SELECT 'CREATE DATABASE care ENCODING ''UTF8'' TEMPLATE template0'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'care') \gexec
\connect care

CREATE TABLE IF NOT EXISTS complaints_feedback (
	complaint_id   SERIAL PRIMARY KEY,
	customer_id    VARCHAR(50) NOT NULL,
	complaint_type VARCHAR(100),
	severity       VARCHAR(20) CHECK (severity IN ('low', 'medium', 'high', 'critical')),
	status         VARCHAR(50) CHECK (status IN ('open', 'in_progress', 'resolved', 'closed')),
	created_at     TIMESTAMP DEFAULT (now() AT TIME ZONE 'UTC'),
	resolved_at    TIMESTAMP
);
CREATE INDEX IF NOT EXISTS complaints_feedback_customer
	ON complaints_feedback (customer_id, created_at);

-- Updates carry the whole old row (see 01-billing.sql).
ALTER TABLE complaints_feedback REPLICA IDENTITY FULL;

GRANT CONNECT ON DATABASE care TO cdc;
GRANT USAGE ON SCHEMA public TO cdc;
GRANT SELECT ON complaints_feedback TO cdc;

SELECT 'CREATE PUBLICATION care FOR TABLE complaints_feedback'
WHERE NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'care') \gexec
