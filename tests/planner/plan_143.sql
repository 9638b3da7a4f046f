-- an anti join feeds an insert-only sink: the planner's changelog check names the join
CREATE TABLE l (a INT, b STRING, c BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE r (x INT, y STRING, z BIGINT NOT NULL) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b STRING) WITH ('connector' = 'print');
CREATE TABLE k (a INT, b STRING) WITH ('connector' = 'kafka', 'topic' = 't', 'properties.bootstrap.servers' = 'localhost:9092', 'format' = 'json');
INSERT INTO k SELECT a, b FROM l WHERE a NOT IN (SELECT x FROM r);
