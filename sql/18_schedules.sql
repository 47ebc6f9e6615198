-- Schedules (1.3): the workflow_schedules rows of DBOSClient's createSchedule, getSchedule,
-- listSchedules, updateSchedule, pauseSchedule, resumeSchedule, deleteSchedule, applySchedules.

-- create: an ACTIVE row, a new ID, class '' when none, the context in DBOS's superjson form.
SELECT dbos.create_schedule('sch-1', 'tick', '*/5 * * * *', '{"a": [1, "x"]}') ~ '^[0-9a-f-]{36}$' AS new_id;
SELECT schedule_name, workflow_name, workflow_class_name, schedule, status, context, last_fired_at,
       automatic_backfill, cron_timezone, queue_name, application_name
FROM dbos.workflow_schedules WHERE schedule_name = 'sch-1';
SELECT dbos.create_schedule('sch-2', 'tock', '0 30 9 * * MON-FRI', workflow_class => 'Jobs', automatic_backfill => true,
                            cron_timezone => 'Europe/Paris', queue_name => 'schedQ', application_name => 'appA') IS NOT NULL;
SELECT dbos.create_schedule('sch-3', 'tick', '@daily', context => '"plain"', queue_name => '', cron_timezone => '') IS NOT NULL;
-- get: decoded; NULL when unknown.
SELECT schedule_name, workflow_name, workflow_class, schedule, status, context, last_fired_at, automatic_backfill,
       cron_timezone, queue_name, application_name FROM dbos.get_schedule('sch-2');
SELECT dbos.get_schedule('nope') IS NULL AS unknown_is_null;

-- list: by name; filters on status, workflow name, name prefix and application.
SELECT schedule_name, workflow_name, context FROM dbos.list_schedules();
SELECT schedule_name FROM dbos.list_schedules(workflow_name => '{tock}');
SELECT schedule_name FROM dbos.list_schedules(schedule_name_prefix => '{sch-1,sch-3}');
SELECT schedule_name FROM dbos.list_schedules(application_name => '{appB}');  -- unclaimed ones only
SET dbos.application_name = 'appA';
SELECT schedule_name FROM dbos.list_schedules();                                 -- its own and unclaimed
RESET dbos.application_name;

-- pause / resume / update: only the fields given; '' clears a time zone or queue.
SELECT dbos.pause_schedule('sch-1');
SELECT schedule_name FROM dbos.list_schedules(status => '{PAUSED}');
SELECT dbos.resume_schedule('sch-1');
SELECT status FROM dbos.get_schedule('sch-1');
SELECT dbos.pause_schedule('nope'), dbos.resume_schedule('nope');  -- unknown: no change, as DBOS
SELECT dbos.update_schedule('sch-2', schedule => '@hourly', context => '{"v": 2}');
SELECT schedule, context, automatic_backfill, cron_timezone, queue_name FROM dbos.get_schedule('sch-2');
SELECT dbos.update_schedule('sch-2', automatic_backfill => false, cron_timezone => '', queue_name => '');
SELECT schedule, context, automatic_backfill, cron_timezone, queue_name FROM dbos.get_schedule('sch-2');
SELECT dbos.update_schedule('sch-2', cron_timezone => 'America/New_York', queue_name => 'q2');
SELECT cron_timezone, queue_name, application_name FROM dbos.get_schedule('sch-2');
SELECT dbos.update_schedule('sch-2');  -- nothing to change: still checks the schedule exists
SELECT regress.error_of($$SELECT dbos.update_schedule('nope')$$);
SELECT regress.error_of($$SELECT dbos.update_schedule('nope', schedule => '* * * * *')$$);

-- apply: creates or replaces definitions; the ID, status and last run stay; an unclaimed
-- schedule is claimed; another application's name is refused.
SELECT schedule_id AS id1 FROM dbos.get_schedule('sch-1') \gset
SELECT dbos.pause_schedule('sch-1');
SELECT dbos.apply_schedules($$[
  {"schedule_name": "sch-1", "workflow_name": "tock", "schedule": "@hourly", "context": [true],
   "application_name": "appA"},
  {"schedule_name": "sch-4", "workflow_name": "tick", "schedule": "0 0 1 * *", "workflow_class": "K",
   "automatic_backfill": true, "cron_timezone": "UTC", "queue_name": "schedQ"}]$$);
SELECT schedule_id = :'id1' AS same_id, workflow_name, schedule, status, context, application_name
FROM dbos.get_schedule('sch-1');
SELECT schedule_name, workflow_class, schedule, status, automatic_backfill, cron_timezone, queue_name
FROM dbos.get_schedule('sch-4');
SELECT dbos.apply_schedules('[]');
SELECT regress.error_of($$SELECT dbos.apply_schedules('[{"schedule_name": "sch-2", "workflow_name": "t", "schedule": "@daily", "application_name": "appB"}]')$$);
SELECT regress.error_of($$SELECT dbos.create_schedule('sch-2', 'tick', '@daily', application_name => 'appB')$$);
SELECT regress.error_of($$SELECT dbos.create_schedule('sch-1', 'tick', '@daily')$$);

-- Bad input: an error that writes nothing (every element of apply_schedules checked first).
CREATE TEMP TABLE sched_before AS SELECT * FROM dbos.workflow_schedules;
SELECT regress.error_of($$SELECT dbos.create_schedule(NULL, 'tick', '@daily')$$);
SELECT regress.error_of($$SELECT dbos.create_schedule('', 'tick', '@daily')$$);
SELECT regress.error_of($$SELECT dbos.create_schedule('x', NULL, '@daily')$$);
SELECT regress.error_of($$SELECT dbos.create_schedule('x', 'tick', NULL)$$);
SELECT regress.error_of($$SELECT dbos.create_schedule('x', 'tick', '@daily', cron_timezone => 'Mars/Olympus')$$);
SELECT regress.error_of($$SELECT dbos.update_schedule('sch-1', cron_timezone => 'Nowhere')$$);
-- Only IANA names, as DBOS (Intl) takes them, in any case: PostgreSQL would also take POSIX
-- specs and offsets (reading 'UTC+3' as UTC-3), which a worker refuses to run.
SELECT tz, regress.error_of(format('SELECT dbos.update_schedule(%L, cron_timezone => %L)', 'sch-1', tz)) AS refused
FROM unnest(ARRAY['UTC+3', '+05:00', 'GMT+3', 'localtime', 'posixrules', 'Factory', 'posix/Europe/Paris']) tz;
-- A zone stored by a DBOS application (its Intl knows 'PST') or by an older client ('UTC+3'):
-- backfill names the schedule's zone, and never reads a POSIX spec the way DBOS would not.
BEGIN;
UPDATE dbos.workflow_schedules SET cron_timezone = 'PST' WHERE schedule_name = 'sch-1';
SELECT regress.error_of($$SELECT dbos.backfill_schedule('sch-1', '2026-01-01', '2026-01-02')$$);
UPDATE dbos.workflow_schedules SET cron_timezone = 'UTC+3' WHERE schedule_name = 'sch-1';
SELECT regress.error_of($$SELECT dbos.backfill_schedule('sch-1', '2026-01-01', '2026-01-02')$$);
ROLLBACK;
BEGIN;
SELECT tz, regress.error_of(format('SELECT dbos.update_schedule(%L, cron_timezone => %L)', 'sch-1', tz)) AS accepted
FROM unnest(ARRAY['europe/paris', 'Etc/GMT+3', 'asia/kolkata', 'UTC', 'America/Argentina/Buenos_Aires']) tz;
ROLLBACK;
SELECT regress.error_of($$SELECT dbos.apply_schedules(NULL)$$);
SELECT regress.error_of($$SELECT dbos.apply_schedules('{}')$$);
SELECT regress.error_of($$SELECT dbos.apply_schedules('[1]')$$);
SELECT regress.error_of($$SELECT dbos.apply_schedules('[{"schedule_name": "y", "workflow_name": "t", "schedule": "@daily", "colour": 1}]')$$);
SELECT regress.error_of($$SELECT dbos.apply_schedules('[{"schedule_name": "y", "workflow_name": "t", "schedule": "@daily"}, {"schedule_name": "z", "workflow_name": "t", "schedule": "1 2 3"}]')$$);
SELECT regress.error_of($$SELECT dbos.apply_schedules('[{"schedule_name": "y", "workflow_name": "t", "schedule": "@daily"}, {"schedule_name": "y", "workflow_name": "t", "schedule": "@daily"}]')$$);
SELECT regress.error_of($$SELECT dbos.apply_schedules('[{"schedule_name": 5, "workflow_name": "t", "schedule": "@daily"}]')$$);
SELECT regress.error_of($$SELECT dbos.apply_schedules('[{"schedule_name": "y", "workflow_name": "t", "schedule": "@daily", "automatic_backfill": "yes"}]')$$);
SELECT count(*) AS changed FROM ((TABLE sched_before EXCEPT TABLE dbos.workflow_schedules)
                                 UNION ALL (TABLE dbos.workflow_schedules EXCEPT TABLE sched_before)) d;

-- Cron schedules, checked as DBOS TypeScript 5.3 checks them (valid: the schedule does not
-- exist, 42704; invalid: 22023 with DBOS's reason).
CREATE FUNCTION pg_temp.cron(pattern text) RETURNS text LANGUAGE sql AS $$
  SELECT regexp_replace(regress.error_of(format('SELECT dbos.update_schedule(%L, schedule => %L)', 'no-such-schedule', pattern)),
                        E'\n  HINT: .*', '') $$;
SELECT p AS pattern, pg_temp.cron(p) AS outcome FROM unnest(ARRAY[
  '* * * * *', '*/15 * * * * *', '0 0 12 * * ?', '0 15 10 ? * MON-FRI', '0 0 L * *', '0 0 LW * *', '0 0 15W * *',
  '0 0 L-3 * *', '0 0 * * 5L', '0 0 * * 1#2', '0 0 * * 7', '0 0 * * 5-7', '0 22-2 * * *', '0 0 1 JAN,jul *',
  '0 0 * * sunday', '@hourly', '@YEARLY', '  0   0  *  *  * ', '0 0 29 2 *',
  '', '   ', '* * * *', '* * * * * * *', '60 * * * *', '* 24 * * *', '* * 0 * *', '* * 32 * *', '* * * 13 *',
  '* * * * 8', '*/0 * * * *', '5/10 * * * *', '1-70 * * * *', '1,,2 * * * *', '* * 1-15W * *', '* * 32W * *',
  '* * L-31 * *', '* * * * L', '* * * * 8#1', '* * * * 1#6', '* * 30 2 *', '* * 31 4,6 *', '@every_minute',
  '* * * * * \t', '0 0 * * MON;'
]) p;

-- trigger: the schedule's workflow now, as DBOSClient.triggerSchedule enqueues it: DBOS's ID,
-- [time, context] in superjson (the time a Date), the schedule's queue, owner and name.
SELECT dbos.create_schedule('sch-t', 'tick', '@daily', '{"k": [1]}', workflow_class => 'Jobs', queue_name => 'schedQ',
                            application_name => 'appT') IS NOT NULL;
SELECT dbos.trigger_schedule('sch-t') AS tid \gset
SELECT :'tid' ~ '^sched-sch-t-trigger-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$' AS dbos_id;
SELECT s.status, s.name, s.class_name, s.queue_name, s.schedule_name, s.application_name, s.serialization,
       i.inputs::jsonb #> '{json,1}' AS context, i.inputs::jsonb -> 'meta' AS meta,
       (i.inputs::jsonb #>> '{json,0}') = substring(:'tid' from 'trigger-(.*)$') AS time_in_id
FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid) WHERE s.workflow_uuid = :'tid';
-- A context with its own type annotations (DBOSClient's Date) keeps them, under index 1.
UPDATE dbos.workflow_schedules SET context = '{"json":{"when":"1970-01-01T00:00:00.000Z"},"meta":{"values":{"when":["Date"]}},"__dbos_serializer":"superjson"}'
WHERE schedule_name = 'sch-t';
SELECT dbos.trigger_schedule('sch-t') AS tid2 \gset
SELECT inputs::jsonb -> 'meta' AS meta FROM dbos.workflow_input WHERE workflow_uuid = :'tid2';
UPDATE dbos.workflow_schedules SET context = 'gASVAAAAAAAAAAB9lC4=' WHERE schedule_name = 'sch-t';
SELECT regress.error_of($$SELECT dbos.trigger_schedule('sch-t')$$);
SELECT regress.error_of($$SELECT dbos.trigger_schedule('nope')$$);
DELETE FROM dbos.workflow_input WHERE workflow_uuid IN (SELECT workflow_uuid FROM dbos.workflow_status WHERE schedule_name = 'sch-t');
DELETE FROM dbos.workflow_status WHERE schedule_name = 'sch-t';

-- backfill: the runs of a period in the schedule's time zone, DBOS's IDs, existing runs left
-- alone; a DST gap skips its local time, a repeated hour runs twice.
SELECT dbos.create_schedule('sch-b', 'tick', '0 30 1 * * *', '{"b": 1}', cron_timezone => 'America/New_York',
                            queue_name => 'schedQ') IS NOT NULL;
SELECT unnest(dbos.backfill_schedule('sch-b', '2026-10-31 00:00Z', '2026-11-03 00:00Z')) AS fall_back;
SELECT dbos.update_schedule('sch-b', schedule => '0 30 2 * * *');
SELECT unnest(dbos.backfill_schedule('sch-b', '2026-03-07 00:00Z', '2026-03-10 00:00Z')) AS spring_forward;
SELECT dbos.update_schedule('sch-b', schedule => '0 30 1 * * *');
SELECT cardinality(dbos.backfill_schedule('sch-b', '2026-10-31 00:00Z', '2026-11-03 00:00Z')) AS again;
SELECT count(*) AS workflows FROM dbos.workflow_status WHERE schedule_name = 'sch-b';  -- 4 + 2: none added
SELECT s.status, s.queue_name, s.serialization, i.inputs::jsonb -> 'json' AS args
FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid)
WHERE s.workflow_uuid = 'sched-sch-b-2026-11-01T06:30:00.000Z';
SELECT dbos.backfill_schedule('sch-b', '2026-01-01 00:00Z', '2026-01-01 00:00Z') AS empty_period;
SELECT dbos.update_schedule('sch-b', schedule => '* * * * * *');
SELECT regress.error_of($$SELECT dbos.backfill_schedule('sch-b', '2026-01-01 00:00Z', '2026-01-03 00:00Z')$$);
SELECT regress.error_of($$SELECT dbos.backfill_schedule('sch-b', NULL, '2026-01-03 00:00Z')$$);
SELECT regress.error_of($$SELECT dbos.backfill_schedule('nope', '2026-01-01', '2026-01-02')$$);
DELETE FROM dbos.workflow_input WHERE workflow_uuid IN (SELECT workflow_uuid FROM dbos.workflow_status WHERE schedule_name = 'sch-b');
DELETE FROM dbos.workflow_status WHERE schedule_name = 'sch-b';

DROP TABLE sched_before;
DELETE FROM dbos.workflow_schedules;

-- A DBOS schema without the schedules table (before TypeScript migration 33): 0A000.
SET dbos.system_schema = 'dbos_legacy108';
BEGIN;
DROP TABLE dbos_legacy108.workflow_schedules;
SELECT regress.error_of($$SELECT dbos.create_schedule('x', 'tick', '@daily')$$);
SELECT regress.error_of($$SELECT * FROM dbos.list_schedules()$$);
ROLLBACK;
-- ... or without a column an option needs.
BEGIN;
ALTER TABLE dbos_legacy108.workflow_schedules DROP COLUMN cron_timezone;
SELECT regress.error_of($$SELECT dbos.create_schedule('x', 'tick', '@daily', cron_timezone => 'UTC')$$);
SELECT dbos.create_schedule('x', 'tick', '@daily') IS NOT NULL AS without_it;
SELECT schedule_name, cron_timezone FROM dbos.get_schedule('x');
ROLLBACK;
RESET dbos.system_schema;
