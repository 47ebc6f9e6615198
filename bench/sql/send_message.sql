-- 4. Send a message: DBOS's own SQL function.
SELECT dbos.send_message('bench-dest', '{"x":1}'::json);
