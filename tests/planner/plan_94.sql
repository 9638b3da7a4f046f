-- changelog of a union: the union of its inputs' modes (an aggregate's updates pass through)
CREATE TABLE a (id INT, name STRING) WITH ('connector' = 'datagen');
CREATE TABLE b (id INT, name STRING) WITH ('connector' = 'datagen');
CREATE TABLE p (name STRING, c BIGINT) WITH ('connector' = 'print');
SET 'table.exec.state.ttl' = '1 d';
INSERT INTO p SELECT name, COUNT(*) FROM a GROUP BY name UNION ALL SELECT name, CAST(id AS BIGINT) FROM b;
