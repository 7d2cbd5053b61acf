-- compose/init/postgres/00-roles.sql: the role that captures changes of
-- billing and care (pgcdc2jsonl), made once for the cluster.
--
-- Runs on PostgreSQL 14 and 15 with psql, as a superuser: as an init script
-- of the official image (/docker-entrypoint-initdb.d, in name order with
-- 01-billing.sql and 02-care.sql) or by hand: psql -U postgres -f 00-roles.sql.
-- Running it again changes nothing.
--
-- What logical decoding needs from the server (postgresql.conf, or
-- postgres -c name=value; a restart after changing wal_level):
--   wal_level             = logical
--   max_replication_slots >= 1 per database captured (2 here), plus spares
--   max_wal_senders       >= as many, plus what physical replicas use
-- and in pg_hba.conf a line that lets the role open a replication
-- connection (the official image's catch-all "host all all all" line does
-- not cover it):
--   host  replication  cdc  10.0.0.0/8  scram-sha-256
--   host  billing,care cdc  10.0.0.0/8  scram-sha-256
--
-- The role has REPLICATION (a replication slot, the WAL stream) and LOGIN,
-- nothing more; 01-billing.sql and 02-care.sql give it CONNECT and SELECT
-- on the captured tables. Change the password before deploying
-- (ALTER ROLE cdc PASSWORD '...') and give it to pgcdc2jsonl through
-- ~/.pgpass or PGPASSFILE, never on a command line.

SELECT 'CREATE ROLE cdc WITH LOGIN REPLICATION PASSWORD ''cdc'''
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cdc') \gexec
