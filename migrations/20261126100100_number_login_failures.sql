-- A sign-in reserves its row here before the password is checked (so that
-- parallel attempts from one address cannot all pass the limit), and a
-- successful one removes its row again: that needs a row id.
ALTER TABLE login_failure ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
