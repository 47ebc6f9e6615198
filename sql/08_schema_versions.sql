-- Schema detection: the pre-109 layout, schemas we refuse, and DDL under a running session.
-- dbos_legacy108 is the TS 5.3 schema without the 109 payload tables (see test/lib.sh).
SET dbos.system_schema = 'dbos_legacy108';
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'f', '[1, 2]', workflow_id => 'legacy-1');
SELECT status, serialization, inputs::jsonb FROM dbos_legacy108.workflow_status WHERE workflow_uuid = 'legacy-1';
UPDATE dbos_legacy108.workflow_status SET status = 'SUCCESS', output = '{"done":true}' WHERE workflow_uuid = 'legacy-1';
SELECT dbos.get_result('legacy-1');
SELECT input, output FROM dbos.get_status('legacy-1');
SELECT dbos.send('legacy-1', '"hi"');
SELECT message FROM dbos_legacy108.notifications WHERE destination_uuid = 'legacy-1';
-- Nothing went to the default schema.
SELECT count(*) FROM dbos.workflow_status WHERE workflow_uuid = 'legacy-1';

-- A schema too old to serve: a clear error naming what is needed; nothing written.
CREATE SCHEMA ancient;
CREATE TABLE ancient.workflow_status (workflow_uuid text PRIMARY KEY, status text, name text,
  class_name varchar(255), config_name varchar(255), queue_name text, inputs text, output text,
  error text, created_at bigint, updated_at bigint, application_version text, recovery_attempts bigint,
  workflow_timeout_ms bigint, priority int NOT NULL DEFAULT 0, deduplication_id text);
CREATE TABLE ancient.notifications (destination_uuid text, topic text, message text, message_uuid text PRIMARY KEY);
CREATE TABLE ancient.workflow_events (workflow_uuid text, key text, value text);
CREATE TABLE ancient.dbos_migrations (version bigint PRIMARY KEY);
INSERT INTO ancient.dbos_migrations VALUES (25);
SET dbos.system_schema = 'ancient';
SELECT regress.error_of($$SELECT dbos.enqueue('q', NULL, 'f')$$);
SELECT regress.error_of($$SELECT dbos.get_status('x')$$);
SELECT count(*) FROM ancient.workflow_status;

-- The schema changes under the session: the next call adapts.
ALTER TABLE ancient.workflow_status ADD COLUMN serialization text;
ALTER TABLE ancient.notifications ADD COLUMN serialization text, ADD COLUMN created_at_epoch_ms bigint;
ALTER TABLE ancient.workflow_events ADD COLUMN serialization text;
SELECT dbos.enqueue('q', NULL, 'f', '[1]', workflow_id => 'ancient-1');
SELECT status, serialization, inputs FROM ancient.workflow_status;
-- Features the schema lacks are refused, not silently dropped.
SELECT regress.error_of($$SELECT dbos.enqueue('q', NULL, 'f', delay => '1 s')$$);
SELECT regress.error_of($$SELECT dbos.enqueue('q', NULL, 'f', partition_key => 'p')$$);
SELECT regress.error_of($$SELECT dbos.enqueue('q', NULL, 'f', application_name => 'a')$$);
-- The payload split appears (migration 109): inputs move to the new table at once.
CREATE TABLE ancient.workflow_input (workflow_uuid text PRIMARY KEY, inputs text);
CREATE TABLE ancient.workflow_output (workflow_uuid text PRIMARY KEY, output text, error text);
SELECT dbos.enqueue('q', NULL, 'f', '[2]', workflow_id => 'ancient-2');
SELECT s.inputs AS legacy_column, i.inputs AS input_table
FROM ancient.workflow_status s LEFT JOIN ancient.workflow_input i USING (workflow_uuid) ORDER BY workflow_uuid;
-- A column of another type: a cast, or a clear error; never a value of the wrong type.
ALTER TABLE ancient.workflow_status ADD COLUMN executor_id int DEFAULT 7;
SELECT workflow_id, executor_id FROM dbos.get_status('ancient-1');
ALTER TABLE ancient.workflow_status ALTER COLUMN priority TYPE text;
UPDATE ancient.workflow_status SET priority = 'high' WHERE workflow_uuid = 'ancient-1';
SELECT regress.error_of($$SELECT * FROM dbos.get_status('ancient-1')$$);
-- Tables dropped under the session: a clear error again.
DROP TABLE ancient.workflow_events;
SELECT regress.error_of($$SELECT dbos.get_event('ancient-1', 'k', 0)$$);
RESET dbos.system_schema;
DROP SCHEMA ancient CASCADE;
