-- UNION (distinct) is UNION ALL under a GroupAggregate on every column, as Flink plans it: the result
-- updates, so an insert-only sink refuses it with Flink's message
CREATE TABLE a (id INT, name STRING) WITH ('connector' = 'datagen');
CREATE TABLE b (id INT, name STRING) WITH ('connector' = 'datagen');
CREATE TABLE k (id INT, name STRING) WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'json');
INSERT INTO k SELECT id, name FROM a UNION SELECT id, name FROM b;
