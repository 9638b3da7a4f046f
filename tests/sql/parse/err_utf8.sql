SELECT 'caf√©', 'ok';
SELECT UPPER('a©') FROM t;
