CREATE TABLE t (id INT, v BIGINT) WITH ('connector'='kafka', 'format'='json');
CREATE TABLE u (id INT NOT NULL, w BIGINT, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector'='upsert-kafka');
CREATE TABLE s (a INT, b BIGINT) WITH ('connector'='print');
INSERT INTO s SELECT t.id, u.w FROM t JOIN u ON t.id = u.id;
