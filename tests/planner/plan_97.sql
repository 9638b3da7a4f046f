-- INTERSECT ALL and EXCEPT ALL: a join on every column counting each row's copies on both sides (not Flink's plan shape; see docs/planner.md)
CREATE TABLE a (id INT) WITH ('connector' = 'datagen');
CREATE TABLE b (id INT) WITH ('connector' = 'datagen');
CREATE TABLE p (id INT) WITH ('connector' = 'print');
INSERT INTO p SELECT id FROM a INTERSECT ALL SELECT id FROM b;
INSERT INTO p SELECT id FROM a EXCEPT ALL SELECT id FROM b;
