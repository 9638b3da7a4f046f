CREATE TABLE u (id INT NOT NULL, w BIGINT, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector'='upsert-kafka');
CREATE TABLE s (a INT, b BIGINT) WITH ('connector'='filesystem', 'format'='json');
CREATE TABLE d (a INT, b BIGINT) WITH ('connector'='filesystem', 'format'='debezium-json');
INSERT INTO d SELECT id, w FROM u;
INSERT INTO s SELECT id, w FROM u;
