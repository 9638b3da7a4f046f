CREATE TABLE t (id INT, name STRING, ts TIMESTAMP(3), price DECIMAL(10,2), person ROW<first STRING, age INT>, tags ARRAY<STRING>, proc AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('connector'='datagen');
CREATE TABLE u (id INT, v BIGINT, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector'='datagen');
CREATE TABLE s (name STRING, id INT) WITH ('connector'='print');
SELECT person.first, person.age + 1, tags[1], CARDINALITY(tags) FROM t;
