-- NOT IN over nullable columns: Flink's null-aware LeftAntiJoin (no key: one parallel instance); over NOT NULL columns an equi-key
CREATE TABLE l (a INT, b STRING, c BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE r (x INT, y STRING, z BIGINT NOT NULL) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, b STRING) WITH ('connector' = 'print');
INSERT INTO s SELECT a, b FROM l WHERE a NOT IN (SELECT x FROM r);
INSERT INTO s SELECT x, y FROM r WHERE z NOT IN (SELECT z FROM r WHERE x > 0);
