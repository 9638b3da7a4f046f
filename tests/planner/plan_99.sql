-- a nondeterministic projection is not merged into the filter reading it (RAND() would be evaluated twice)
CREATE TABLE t (id INT, v BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE s (a INT, r DOUBLE) WITH ('connector' = 'print');
INSERT INTO s SELECT id, r FROM (SELECT id, RAND() AS r FROM t) WHERE r < 0.5;
