CREATE TABLE t (id INT, v BIGINT) WITH ('connector'='kafka', 'format'='json');
CREATE TABLE u (id INT, w BIGINT) WITH ('connector'='kafka', 'format'='json');
CREATE TABLE s (a INT, b BIGINT) WITH ('connector'='kafka', 'format'='json');
INSERT INTO s SELECT t.id, u.w FROM t LEFT JOIN u ON t.id = u.id;
