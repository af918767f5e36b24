-- Spur's events on a ClickHouse cluster (current ClickHouse with ClickHouse Keeper or
-- ZooKeeper). Run once, before the first `spur serve --store clickhouse`; the collector
-- then finds `events` and creates only what is missing (IF NOT EXISTS).
--
-- `events_local` holds each shard's rows, replicated; `events` is the Distributed table
-- the collectors read and write. Rows are sharded by (site, id), so every copy of one
-- event lands on one shard, where ReplacingMergeTree merges duplicates away.
-- Replace `spur_cluster` with the cluster's name in remote_servers.

CREATE DATABASE IF NOT EXISTS spur ON CLUSTER spur_cluster;

CREATE TABLE IF NOT EXISTS spur.events_local ON CLUSTER spur_cluster (
    site         String,
    id           String,
    visitor      UInt64,
    ts           Int64,
    received_at  Int64,
    kind         String,
    touchpoint   String,
    stage        Nullable(String),
    url          String,
    referrer     Nullable(String),
    utm_source   Nullable(String),
    utm_medium   Nullable(String),
    utm_campaign Nullable(String),
    utm_term     Nullable(String),
    utm_content  Nullable(String),
    props        Nullable(String),
    device       String,
    inserted_at  DateTime DEFAULT now()
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/spur/events', '{replica}')
PARTITION BY toYYYYMM(toDateTime(intDiv(ts, 1000)))
ORDER BY (site, id);

CREATE TABLE IF NOT EXISTS spur.events ON CLUSTER spur_cluster AS spur.events_local
ENGINE = Distributed(spur_cluster, spur, events_local, cityHash64(site, id));

-- The small tables (sites, accounts, tokens, salts, secrets, deletions,
-- schema_migrations) stay on one replicated shard: create them as the collector would
-- (see collector/src/store/clickhouse/mod.rs, MIGRATIONS) with Replicated* engines, or let
-- the first collector create them as plain tables on the node its URL names.
--
-- Deletions (a visitor's data, retention) are mutations and partition drops, which a
-- Distributed table does not take: the collector reads the cluster's replicas from
-- system.clusters when it starts and sends them to each replica's events_local over
-- HTTP (at the replica's host_name, on the port of --clickhouse-url), so every replica's
-- HTTP interface must be reachable from the collectors on that port. By hand, the same is
--   ALTER TABLE spur.events_local ON CLUSTER spur_cluster DELETE WHERE site = 'demo' AND visitor = 123;
-- followed by counting the deletion, so that every collector's report cache starts over:
--   INSERT INTO spur.deletions (events) VALUES (1);
