# bench/flagship_join.sh — the flagship join shape as a datagen -> join -> blackhole script, shared by
# bench/join and bench/checkpoint. Source it, then: flagship_join_sql ROWS > job.sql
# (left: name1 IS NOT NULL filter, keeps id; right: keeps id, name; unique ids 1..ROWS on both sides).
flagship_join_sql() {
    cat <<SQL
CREATE TABLE kafka01 (name STRING, id INT, name1 STRING, num_dou DOUBLE) WITH ('connector' = 'datagen',
  'rows-per-second' = '1000000000', 'number-of-rows' = '$1', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1',
  'fields.id.end' = '$1', 'fields.name.length' = '10', 'fields.name1.length' = '10', 'fields.name1.null-rate' = '0.1', 'seed' = '1');
CREATE TABLE kafka02 (name STRING, id INT, name1 STRING, num_dou DOUBLE) WITH ('connector' = 'datagen',
  'rows-per-second' = '1000000000', 'number-of-rows' = '$1', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1',
  'fields.id.end' = '$1', 'fields.name.length' = '10', 'fields.name1.length' = '10', 'seed' = '2');
CREATE TABLE kafka03 (name STRING, id INT) WITH ('connector' = 'blackhole');
INSERT INTO kafka03 SELECT b.name, a.id FROM kafka01 AS a INNER JOIN kafka02 AS b ON a.id = b.id WHERE a.name1 IS NOT NULL;
SQL
}
