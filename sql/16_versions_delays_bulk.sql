-- Application versions, delays and bulk management (1.3).
DELETE FROM dbos.application_versions;

-- Versions: latest first; the given applications' and unclaimed ones; unset,
-- dbos.application_name's (all when it is empty). NULL when there is none.
SELECT dbos.get_latest_application_version() IS NULL AS none_yet;
INSERT INTO dbos.application_versions (version_id, version_name, version_timestamp, created_at, application_name)
VALUES ('v1', '1.0', 1000, 1000, NULL), ('v2', '2.0', 2000, 2000, 'appA'), ('v3', '3.0', 3000, 3000, 'appB');
SELECT version_id, version_name, version_timestamp, created_at, application_name FROM dbos.list_application_versions();
SELECT version_name FROM dbos.list_application_versions(ARRAY['appA']);
SET dbos.application_name = 'appA';
SELECT version_name FROM dbos.list_application_versions();
SELECT version_name FROM dbos.get_latest_application_version();
RESET dbos.application_name;
SELECT version_name FROM dbos.get_latest_application_version();
SELECT version_name FROM dbos.get_latest_application_version('appA');
SELECT version_name FROM dbos.get_latest_application_version('nobody');   -- unclaimed ones count
DELETE FROM dbos.application_versions;

-- set_workflow_delay: only a DELAYED workflow moves (updated_at too); the rest are left alone.
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'later', workflow_id => 'dl-1', delay => '1 hour');
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'later', workflow_id => 'dl-2');
CREATE TEMP TABLE before_delay AS SELECT workflow_uuid, updated_at FROM dbos.workflow_status WHERE workflow_uuid IN ('dl-1', 'dl-2');
SELECT dbos.set_workflow_delay('dl-1', delay => '10 seconds') AS moved;
SELECT delay_until_epoch_ms BETWEEN (extract(epoch FROM now()) * 1000)::bigint + 9000
                                AND (extract(epoch FROM clock_timestamp()) * 1000)::bigint + 10000 AS ten_seconds_from_now,
       s.updated_at >= b.updated_at AS touched
FROM dbos.workflow_status s JOIN before_delay b USING (workflow_uuid) WHERE workflow_uuid = 'dl-1';
SELECT dbos.set_workflow_delay('dl-1', delay_until => '2030-01-01 00:00:00+00') AS moved;
SELECT delay_until_epoch_ms FROM dbos.workflow_status WHERE workflow_uuid = 'dl-1';
SELECT dbos.set_workflow_delay('dl-2', delay => '1 minute') AS moved;               -- ENQUEUED: not DELAYED
SELECT delay_until_epoch_ms IS NULL AS unchanged FROM dbos.workflow_status WHERE workflow_uuid = 'dl-2';
SELECT dbos.set_workflow_delay('unknown', delay => '1 minute') AS moved;
SELECT regress.error_of($$SELECT dbos.set_workflow_delay('dl-1')$$);
SELECT regress.error_of($$SELECT dbos.set_workflow_delay('dl-1', delay => '1 min', delay_until => now())$$);
SELECT regress.error_of($$SELECT dbos.set_workflow_delay('dl-1', delay => '-1 second')$$);
SELECT regress.error_of($$SELECT dbos.set_workflow_delay('dl-1', delay => '0')$$);
SELECT regress.error_of($$SELECT dbos.set_workflow_delay('dl-1', delay_until => '1960-01-01')$$);
SELECT regress.error_of($$SELECT dbos.set_workflow_delay('dl-1', delay_until => 'infinity')$$);
SELECT regress.error_of($$SELECT dbos.set_workflow_delay(NULL, delay => '1 minute')$$);

-- Bulk forms: each ID as the single call, in order.
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'bulk', workflow_id => 'bk-' || i) FROM generate_series(1, 3) i;
-- Unknown IDs are skipped, as DBOSClient.cancelWorkflows skips them.
SELECT dbos.cancel_workflows(ARRAY['bk-1', 'bk-unknown', 'bk-2', 'bk-3']);
SELECT workflow_uuid, status FROM dbos.workflow_status WHERE workflow_uuid LIKE 'bk-%' ORDER BY 1;
-- A repeated ID is resumed once; the result lists the IDs as given (DBOS: a handle per ID).
SELECT dbos.resume_workflows(ARRAY['bk-3', 'bk-1', 'bk-3']) AS resumed;
SELECT workflow_uuid, status, queue_name FROM dbos.workflow_status WHERE workflow_uuid LIKE 'bk-%' ORDER BY 1;
SELECT dbos.resume_workflows(ARRAY['bk-2'], 'other_queue') AS resumed;
SELECT queue_name FROM dbos.workflow_status WHERE workflow_uuid = 'bk-2';
-- resume: every ID must exist, checked before anything changes.
SELECT dbos.cancel_workflows(ARRAY['bk-1']);
SELECT regress.error_of($$SELECT dbos.resume_workflows(ARRAY['bk-1', 'bk-unknown', 'bk-gone'])$$);
SELECT status FROM dbos.workflow_status WHERE workflow_uuid = 'bk-1';
SELECT regress.error_of($$SELECT dbos.cancel_workflows(ARRAY['bk-1', NULL])$$);
SELECT regress.error_of($$SELECT dbos.delete_workflows('{{a,b},{c,d}}')$$);
SELECT regress.error_of($$SELECT dbos.resume_workflows(NULL)$$);
SELECT dbos.delete_workflows(ARRAY['bk-1', 'bk-2', 'bk-3']);
SELECT count(*) AS left_over FROM dbos.workflow_status WHERE workflow_uuid LIKE 'bk-%';
SELECT dbos.cancel_workflows('{}'), dbos.resume_workflows('{}'), dbos.delete_workflows('{}');

SELECT dbos.delete_workflows(ARRAY['dl-1', 'dl-2']);

-- cancel_children: every unfinished workflow below each ID (DBOSClient's cancelChildren);
-- without it, only the IDs. Finished ones keep their status.
SELECT count(dbos.enqueue('_dbos_internal_queue', NULL, 'tree', workflow_id => 'ct-' || i)) FROM generate_series(1, 6) i;
UPDATE dbos.workflow_status SET parent_workflow_id = 'ct-1' WHERE workflow_uuid IN ('ct-2', 'ct-3');
UPDATE dbos.workflow_status SET parent_workflow_id = 'ct-2' WHERE workflow_uuid = 'ct-4';
UPDATE dbos.workflow_status SET parent_workflow_id = 'ct-4', status = 'SUCCESS' WHERE workflow_uuid = 'ct-5';
UPDATE dbos.workflow_status SET parent_workflow_id = 'ct-5' WHERE workflow_uuid = 'ct-6';
SELECT dbos.cancel_workflows(ARRAY['ct-2']);
SELECT string_agg(workflow_uuid || '=' || status, ' ' ORDER BY workflow_uuid) FROM dbos.workflow_status WHERE workflow_uuid LIKE 'ct-%';
SELECT dbos.cancel_workflows(ARRAY['ct-1', 'ct-unknown'], cancel_children => true);
SELECT string_agg(workflow_uuid || '=' || status, ' ' ORDER BY workflow_uuid) FROM dbos.workflow_status WHERE workflow_uuid LIKE 'ct-%';
DELETE FROM dbos.workflow_status WHERE workflow_uuid LIKE 'ct-%';

-- Older DBOS schemas: no application_versions table, no delay column: 0A000.
SET dbos.system_schema = 'dbos_legacy108';
BEGIN;
DROP TABLE dbos_legacy108.application_versions;
SELECT regress.error_of($$SELECT * FROM dbos.list_application_versions()$$);
ROLLBACK;
BEGIN;
ALTER TABLE dbos_legacy108.workflow_status DROP COLUMN delay_until_epoch_ms CASCADE;
SELECT regress.error_of($$SELECT dbos.set_workflow_delay('x', delay => '1 minute')$$);
ROLLBACK;
RESET dbos.system_schema;
