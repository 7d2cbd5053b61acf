-- compose/init/postgres/01-billing.sql: the billing system of record
-- (database billing: payment_transactions, customer_behavior), what the CDC
-- role may read of it, and the publication pgcdc2jsonl streams.
--
-- Runs on PostgreSQL 14 and 15 with psql (it uses \gexec and \connect), as a
-- superuser, after 00-roles.sql. Running it again changes nothing.
-- Columns are those of the data contract; times are UTC in TIMESTAMP
-- columns (without time zone), as the generated files give them.
-- Server settings for CDC: see 00-roles.sql (wal_level = logical).

SELECT 'CREATE DATABASE billing ENCODING ''UTF8'' TEMPLATE template0'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'billing') \gexec
\connect billing

CREATE TABLE IF NOT EXISTS payment_transactions (
	transaction_id   SERIAL PRIMARY KEY,
	customer_id      VARCHAR(50) NOT NULL,
	transaction_date TIMESTAMP,
	amount           DECIMAL(10,2),
	payment_method   VARCHAR(50),
	status           VARCHAR(20) CHECK (status IN
	                 ('completed', 'failed', 'pending', 'refunded', 'chargeback')),
	created_at       TIMESTAMP DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE INDEX IF NOT EXISTS payment_transactions_customer
	ON payment_transactions (customer_id, transaction_date);

CREATE TABLE IF NOT EXISTS customer_behavior (
	behavior_id          SERIAL PRIMARY KEY,
	customer_id          VARCHAR(50) NOT NULL,
	avg_session_duration INT,
	app_usage_hours      DECIMAL(5,2),
	favorite_service     VARCHAR(100),
	last_login           TIMESTAMP,
	created_at           TIMESTAMP DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE INDEX IF NOT EXISTS customer_behavior_customer
	ON customer_behavior (customer_id);

-- Updates and deletes carry the whole old row in the WAL (as
-- binlog_row_image = FULL does on MySQL), not only the key.
ALTER TABLE payment_transactions REPLICA IDENTITY FULL;
ALTER TABLE customer_behavior REPLICA IDENTITY FULL;

GRANT CONNECT ON DATABASE billing TO cdc;
GRANT USAGE ON SCHEMA public TO cdc;
GRANT SELECT ON payment_transactions, customer_behavior TO cdc;

-- The publication is made here, by the tables' owner, so that the CDC role
-- needs no ownership: pgcdc2jsonl -d dbname=billing -s billing -p billing.
SELECT 'CREATE PUBLICATION billing FOR TABLE payment_transactions, customer_behavior'
WHERE NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'billing') \gexec
