CREATE TABLE s (name STRING, id INT) WITH ('connector'='print');
INSERT INTO s VALUES ('a', 1), ('b', 2, 3);
