-- 4. Send a message: the extension.
SELECT dbos.send('bench-dest', '{"x":1}');
