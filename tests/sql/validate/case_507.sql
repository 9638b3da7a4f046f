CREATE TABLE s (name STRING, id INT) WITH ('connector'='print');
INSERT INTO s VALUES (1, 'a');
