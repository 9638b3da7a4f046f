-- the Abstract Syntax Tree of unions: UNION ALL is a LogicalUnion(all=[true]) of its inputs (each
-- cast to the common type); UNION (distinct) the same under a LogicalAggregate on every column
CREATE TABLE a (id INT, name STRING) WITH ('connector' = 'datagen');
CREATE TABLE b (id BIGINT, name STRING) WITH ('connector' = 'datagen');
CREATE TABLE s1 (id BIGINT, name STRING) WITH ('connector' = 'blackhole');
CREATE TABLE s2 (id BIGINT, name STRING) WITH ('connector' = 'print');
EXECUTE STATEMENT SET BEGIN
INSERT INTO s1 SELECT id, name FROM a UNION ALL SELECT id, name FROM b;
INSERT INTO s2 SELECT id, name FROM a WHERE id > 0 UNION SELECT id, name FROM b;
END;
