SET 'table.exec.state.ttl' = '1 d';
CREATE TABLE `kafka01` (
   `name` STRING,
   `id` INTEGER,
   `name1` STRING,
   `num_dou` DOUBLE,
   `num_float` DOUBLE,
   `num_int` INTEGER,
   `stringmessages` STRING,
   `cloud_wise_proc_time` AS `proctime`()
 ) WITH (
   'connector' = 'kafka-0.11',
   'topic' = 'kafka_Flink_xiaoneng_1kb_006',
   'properties.bootstrap.servers' = 'xxx',
   'properties.max.poll.records' = '5000',
   'properties.group.id' = 'shuhf',
   'format' = 'json',
   'json.ignore-parse-errors' = 'true',
   'scan.startup.mode' = 'earliest-offset'
 );

CREATE TABLE `kafka02` (
   `name` STRING,
   `id` INTEGER,
   `name1` STRING,
   `num_dou` DOUBLE,
   `num_float` DOUBLE,
   `num_int` INTEGER,
   `stringmessages` STRING,
   `cloud_wise_proc_time` AS `proctime`()
 ) WITH (
   'connector' = 'kafka-0.11',
   'topic' = 'kafka_Flink_xiaoneng_1kb_005',
   'properties.bootstrap.servers' = 'xxx',
   'properties.max.poll.records' = '5000',
   'properties.group.id' = 'sdkdsd',
   'format' = 'json',
   'json.ignore-parse-errors' = 'true',
   'scan.startup.mode' = 'earliest-offset'
 );

CREATE TABLE `kafka03` (
   `name` STRING,
   `id` INTEGER
 ) WITH (
   'connector' = 'kafka-0.11',
   'topic' = 'kafka_Flink_1302',
   'properties.bootstrap.servers' = 'xxx',
   'properties.acks' = '1',
   'properties.retries' = '3',
   'properties.batch.size' = '16384',
   'properties.linger.ms' = '30',
   'properties.buffer.memory' = '33554432',
   'json.ignore-parse-errors' = 'true',
   'format' = 'json'
 );

INSERT INTO `kafka03`
 (SELECT `b`.`name` AS `name`, `a`.`id` AS `id`
 FROM `kafka01` AS `a`
 INNER JOIN `kafka02` AS `b` ON `a`.`id` = `b`.`id`
 WHERE `a`.`name1` IS NOT NULL);
