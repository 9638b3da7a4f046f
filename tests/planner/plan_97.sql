-- INTERSECT ALL and EXCEPT ALL are not planned yet (INTERSECT and EXCEPT are: plan_134 on)
CREATE TABLE a (id INT) WITH ('connector' = 'datagen');
CREATE TABLE b (id INT) WITH ('connector' = 'datagen');
CREATE TABLE p (id INT) WITH ('connector' = 'print');
INSERT INTO p SELECT id FROM a INTERSECT ALL SELECT id FROM b;
