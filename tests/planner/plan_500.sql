-- INSERT ... VALUES: a Values source (parallelism 1) into the sink
CREATE TABLE p (a INT, b INT) WITH ('connector'='print');
INSERT INTO p VALUES (1, 2), (3, 4);
