CREATE TABLE t (a INT) WITH ('k' = 'v'
