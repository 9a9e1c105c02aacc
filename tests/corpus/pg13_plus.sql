-- PostgreSQL 13+: btree deduplication, BEFORE row triggers on partitioned tables.
ALTER INDEX app.storage_opts_code SET (deduplicate_items = off);
CREATE TRIGGER events_trg BEFORE INSERT ON app.events FOR EACH ROW EXECUTE FUNCTION app.trg();
ALTER TABLE app.events_default DISABLE TRIGGER events_trg;
