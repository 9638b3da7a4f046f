INSERT INTO t VALUES (1, 2), (3, 4);
SELECT * FROM (VALUES 1, (2), ROW(3, 4), (ROW(5, 6))) AS t(a);
