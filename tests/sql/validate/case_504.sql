CREATE TABLE s (name STRING, id INT) WITH ('connector'='print');
VALUES (1, 2), (3, 4);
