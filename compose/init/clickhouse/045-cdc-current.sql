-- The current state of each mirrored table: the latest change per key,
-- deleted rows (and truncate records, op t) left out.

CREATE VIEW IF NOT EXISTS telecom.customer_profiles_current AS
	SELECT * FROM telecom.customer_profiles FINAL WHERE __deleted = 0 AND op != 't';

CREATE VIEW IF NOT EXISTS telecom.device_information_current AS
	SELECT * FROM telecom.device_information FINAL WHERE __deleted = 0 AND op != 't';

CREATE VIEW IF NOT EXISTS telecom.payment_transactions_current AS
	SELECT * FROM telecom.payment_transactions FINAL WHERE __deleted = 0 AND op != 't';

CREATE VIEW IF NOT EXISTS telecom.customer_behavior_current AS
	SELECT * FROM telecom.customer_behavior FINAL WHERE __deleted = 0 AND op != 't';

CREATE VIEW IF NOT EXISTS telecom.complaints_feedback_current AS
	SELECT * FROM telecom.complaints_feedback FINAL WHERE __deleted = 0 AND op != 't';
