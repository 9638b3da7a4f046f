CREATE TABLE t (id INT, name STRING, v BIGINT, price DECIMAL(10,2)) WITH ('connector'='kafka', 'format'='json');
CREATE TABLE u (id INT NOT NULL, w BIGINT) WITH ('connector'='datagen');
CREATE TABLE s (a INT, b BIGINT) WITH ('connector'='kafka', 'format'='json');
CREATE TABLE up (a INT, b BIGINT, PRIMARY KEY (a) NOT ENFORCED) WITH ('connector'='upsert-kafka');
CREATE TABLE p3 (a STRING, b BIGINT, c DECIMAL(38, 2)) WITH ('connector'='print');
INSERT INTO up SELECT 1, COUNT(*) FROM t;
