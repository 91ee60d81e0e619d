-- The Delta checkpoint fixture of delta_checkpoint_test, written by DuckDB (an independent
-- Parquet writer) in the shape Spark gives a classic checkpoint: one row per action, with
-- nullable top-level struct columns and Parquet MAP / LIST columns. Version 2 of a table:
-- a protocol, a metaData, one txn, three active files (one with a null partition value and
-- one whose path needs URI escaping) and one tombstone. Run by make_checkpoint.sh.
CREATE TABLE checkpoint (
  txn STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT),
  "add" STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, modificationTime BIGINT,
               dataChange BOOLEAN, stats VARCHAR, tags MAP(VARCHAR, VARCHAR)),
  "remove" STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN,
                  partitionValues MAP(VARCHAR, VARCHAR), size BIGINT),
  metaData STRUCT(id VARCHAR, name VARCHAR, description VARCHAR,
                  format STRUCT(provider VARCHAR, options MAP(VARCHAR, VARCHAR)),
                  schemaString VARCHAR, partitionColumns VARCHAR[], configuration MAP(VARCHAR, VARCHAR),
                  createdTime BIGINT),
  protocol STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER)
);
INSERT INTO checkpoint (protocol) VALUES ({'minReaderVersion': 1, 'minWriterVersion': 2});
INSERT INTO checkpoint (metaData) VALUES ({
  'id': '5b6f1f5e-8d0a-4c55-9d61-0e4b1c2a7f10', 'name': 'decisions', 'description': NULL,
  'format': {'provider': 'parquet', 'options': MAP {}},
  'schemaString': '{"type":"struct","fields":[{"name":"end_to_end_id","type":"string","nullable":false,"metadata":{}},{"name":"amount","type":"decimal(18,2)","nullable":false,"metadata":{}},{"name":"event_date","type":"date","nullable":true,"metadata":{}}]}',
  'partitionColumns': ['event_date'],
  'configuration': MAP {'delta.checkpointInterval': '2', 'delta.logRetentionDuration': 'interval 30 days'},
  'createdTime': 1763900000000});
INSERT INTO checkpoint (txn) VALUES ({'appId': 'pipeline-1', 'version': 2, 'lastUpdated': 1764000200000});
INSERT INTO checkpoint ("add") VALUES
  ({'path': 'event_date=2025-11-24/part-00000-a.c000.snappy.parquet', 'partitionValues': MAP {'event_date': '2025-11-24'},
    'size': 4096, 'modificationTime': 1764000100000, 'dataChange': false,
    'stats': '{"numRecords":100,"minValues":{"amount":1.5},"maxValues":{"amount":900.0},"nullCount":{"amount":0}}',
    'tags': NULL}),
  ({'path': 'event_date=2025-11-25/part-00001%20b.c000.snappy.parquet', 'partitionValues': MAP {'event_date': '2025-11-25'},
    'size': 2048, 'modificationTime': 1764000200000, 'dataChange': false,
    'stats': '{"numRecords":40}', 'tags': MAP {'INSERTION_TIME': '1764000200000000'}}),
  ({'path': 'event_date=__HIVE_DEFAULT_PARTITION__/part-00002-c.c000.snappy.parquet',
    'partitionValues': MAP {'event_date': NULL}, 'size': 512, 'modificationTime': 1764000200000,
    'dataChange': false, 'stats': NULL, 'tags': NULL});
INSERT INTO checkpoint ("remove") VALUES
  ({'path': 'event_date=2025-11-23/part-00000-old.c000.snappy.parquet', 'deletionTimestamp': 1764000150000,
    'dataChange': true, 'extendedFileMetadata': true, 'partitionValues': MAP {'event_date': '2025-11-23'},
    'size': 1000});
COPY checkpoint TO '__OUT__' (FORMAT parquet, ROW_GROUP_SIZE 4);
SELECT count(*) AS actions FROM read_parquet('__OUT__');
