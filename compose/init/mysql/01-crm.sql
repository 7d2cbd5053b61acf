-- compose/init/mysql/01-crm.sql: the CRM system of record (database crm)
-- and the user that captures its changes.
--
-- Runs on MySQL 8.0 and MariaDB 10.11 (no syntax of only one of them), as
-- an init script of the official images (/docker-entrypoint-initdb.d) or by
-- hand: mysql -u root < 01-crm.sql. Running it again changes nothing.
-- Columns are those of the data contract (../shared/data-contract.md).
--
-- What binlog2jsonl (CDC) needs from the server, in my.cnf or on the
-- command line (mysqld --log-bin=binlog ...):
--   log_bin             = binlog   (MySQL 8.0: on by default)
--   server_id           = 1        (any id unique among the servers)
--   binlog_format       = ROW      (the rows changed, not the statements)
--   binlog_row_image    = FULL     (every column, before and after)
--   binlog_row_metadata = FULL     (column names in the binlog; MySQL's
--                                   default is MINIMAL, MariaDB 10.11's NO_LOG)
-- and, for pipelines/load-databases (LOAD DATA LOCAL INFILE):
--   local_infile        = ON       (MySQL 8.0's default is OFF)
-- Timestamps are stored and compared in UTC: the loader and the change
-- script set time_zone = '+00:00' in their sessions.

CREATE DATABASE IF NOT EXISTS crm CHARACTER SET utf8mb4;
USE crm;

CREATE TABLE IF NOT EXISTS customer_profiles (
	customer_id           VARCHAR(50)   NOT NULL,
	customer_name         VARCHAR(255),
	age                   INT,
	gender                VARCHAR(10),
	location              VARCHAR(255),
	account_creation_date DATE,
	plan_type             VARCHAR(50),
	monthly_spending      DECIMAL(10,2),
	credit_score          INT,
	avg_payment_delay     INT,
	-- set by the server on insert and on every update
	last_updated          TIMESTAMP     NOT NULL
	                      DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
	PRIMARY KEY (customer_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS device_information (
	device_id             INT           NOT NULL AUTO_INCREMENT,
	customer_id           VARCHAR(50)   NOT NULL,
	device_model          VARCHAR(255),
	os_version            VARCHAR(50),
	imei                  VARCHAR(20),
	device_status         VARCHAR(50),
	last_updated          TIMESTAMP     NOT NULL
	                      DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
	PRIMARY KEY (device_id),
	KEY device_information_customer (customer_id),
	KEY device_information_imei (imei),
	CONSTRAINT device_information_customer_fk FOREIGN KEY (customer_id)
		REFERENCES customer_profiles (customer_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- The CDC user: reads the binlog (REPLICATION SLAVE), asks where it is
-- (REPLICATION CLIENT: SHOW MASTER STATUS, SHOW BINARY LOGS; MariaDB calls
-- it BINLOG MONITOR), and reads crm's tables for the initial snapshot.
-- Nothing else: it cannot write. Change the password before deploying
-- (ALTER USER 'cdc'@'%' IDENTIFIED BY '...'), and give it to binlog2jsonl
-- in an option file (--defaults-file), never on a command line.
CREATE USER IF NOT EXISTS 'cdc'@'%' IDENTIFIED BY 'cdc';
GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'cdc'@'%';
GRANT SELECT ON crm.* TO 'cdc'@'%';
-- On MySQL 8.0 (not MariaDB) binlog2jsonl's consistent snapshot takes a
-- short global read lock (FLUSH TABLES WITH READ LOCK), which needs RELOAD:
--   GRANT RELOAD ON *.* TO 'cdc'@'%';
