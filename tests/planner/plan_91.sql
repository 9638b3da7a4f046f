-- UNION ALL of three inputs, types coerced to the common type (INT and BIGINT: BIGINT; VARCHAR(3)
-- and STRING: STRING); a WHERE above the union goes into every input
CREATE TABLE a (id INT, name STRING) WITH ('connector' = 'datagen');
CREATE TABLE b (id BIGINT, label VARCHAR(3)) WITH ('connector' = 'datagen');
CREATE TABLE c (k SMALLINT, z STRING, extra DOUBLE) WITH ('connector' = 'datagen');
CREATE TABLE s (id BIGINT, name STRING) WITH ('connector' = 'print');
INSERT INTO s SELECT * FROM (SELECT id, name FROM a UNION ALL SELECT id, label FROM b UNION ALL SELECT k, z FROM c) WHERE id > 10;
