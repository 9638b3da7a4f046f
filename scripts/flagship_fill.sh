# scripts/flagship_fill.sh — the job that fills the flagship's two input topics with records in the
# seed's schema (datagen -> Kafka, JSON): ids 1..N on the left (a quarter with name1 NULL),
# N/2+1..3N/2 on the right, so half of each side joins. Used by `make demo` and the Kafka tests.
# The producers linger 100 ms, so the topics hold big message sets: the dev cluster (librdkafka's
# mock) answers a fetch with one message set per partition, and small sets make every consumer
# slow (bench/kafka_join measured ~4,000 records/s with the default 5 ms).
# Source it, then: flagship_fill_sql N BOOTSTRAP [ROWS_PER_SECOND (1000000)] [MESSAGE_LENGTH (900)] [LINGER_MS (100)] > fill.sql
flagship_fill_sql() {
    local n=$1 bs=$2 rate=${3:-1000000} len=${4:-900} linger=${5:-100}
    local cols='`name` STRING, `id` INTEGER, `name1` STRING, `num_dou` DOUBLE, `num_float` DOUBLE, `num_int` INTEGER, `stringmessages` STRING'
    cat <<EOS
CREATE TABLE gen_left ($cols) WITH ('connector' = 'datagen', 'rows-per-second' = '$rate', 'seed' = '6',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '$n', 'fields.name.length' = '8',
  'fields.name1.length' = '8', 'fields.name1.null-rate' = '0.25', 'fields.stringmessages.length' = '$len');
CREATE TABLE gen_right ($cols) WITH ('connector' = 'datagen', 'rows-per-second' = '$rate', 'seed' = '5',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '$((n / 2 + 1))', 'fields.id.end' = '$((n + n / 2))',
  'fields.name.length' = '8', 'fields.name1.length' = '8', 'fields.stringmessages.length' = '$len');
CREATE TABLE in_006 ($cols) WITH ('connector' = 'kafka', 'topic' = 'kafka_Flink_xiaoneng_1kb_006',
  'properties.bootstrap.servers' = '$bs', 'format' = 'json', 'sink.partitioner' = 'round-robin', 'properties.linger.ms' = '$linger');
CREATE TABLE in_005 ($cols) WITH ('connector' = 'kafka', 'topic' = 'kafka_Flink_xiaoneng_1kb_005',
  'properties.bootstrap.servers' = '$bs', 'format' = 'json', 'sink.partitioner' = 'round-robin', 'properties.linger.ms' = '$linger');
EXECUTE STATEMENT SET BEGIN
INSERT INTO in_006 SELECT * FROM gen_left;
INSERT INTO in_005 SELECT * FROM gen_right;
END;
EOS
}
