-- UNION ALL inputs of different widths: the validator's error
CREATE TABLE a (id INT, name STRING) WITH ('connector' = 'datagen');
CREATE TABLE b (id INT) WITH ('connector' = 'datagen');
CREATE TABLE p (id INT, name STRING) WITH ('connector' = 'print');
INSERT INTO p SELECT id, name FROM a UNION ALL SELECT id FROM b;
