-- VALUES in a UNION ALL with a table, and under a GROUP BY (the aggregate updates)
CREATE TABLE g (id INT, v INT) WITH ('connector'='datagen');
CREATE TABLE o (id INT, c BIGINT, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector'='print');
INSERT INTO o SELECT id, COUNT(*) FROM (SELECT id FROM g UNION ALL SELECT * FROM (VALUES 1, 2, 2)) GROUP BY id;
