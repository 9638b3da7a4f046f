CREATE TABLE t (id INT, name STRING, ts TIMESTAMP(3), price DECIMAL(10,2), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('connector'='datagen');
CREATE TABLE u (id INT, v BIGINT) WITH ('connector'='datagen');
CREATE TABLE s (name STRING, id INT) WITH ('connector'='print');
CREATE TABLE w (a INT, WATERMARK FOR b AS b) WITH ('connector'='x');
