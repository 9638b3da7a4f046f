CREATE TABLE cdc (id INT, v BIGINT, ts TIMESTAMP(3)) WITH ('connector'='filesystem', 'path'='/x', 'format'='debezium-json');
CREATE TABLE s (id INT, v BIGINT) WITH ('connector'='print');
INSERT INTO s SELECT id, v FROM (SELECT id, v, ROW_NUMBER() OVER (PARTITION BY id ORDER BY v) AS rn FROM cdc) WHERE rn = 1;
