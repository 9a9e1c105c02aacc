#pragma once
// Options of `pgark restore` and `pgark verify`. Plain data; every field states its default.
// (Kept beside the restore engine; engine/options.h holds the dump's.)

#include <cstddef>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/progress.h"
#include "engine/restore/database_description.h"
#include "format/keys.h"

namespace pgark::engine {

struct RestoreOptions {
  // libpq conninfo of the target database (with create: of the database to connect to
  // first, usually "postgres"). Default "": the PG* environment.
  std::string conninfo;
  // Data and post-data connections. Default 4. REQUIRES 1 <= jobs <= 256.
  int jobs = 4;
  // -C: create the archive's database (named as recorded) and restore into it, as the dump
  // saw it: encoding, locale, owner (not with no_owner), tablespace, settings, comment (not
  // with no_comments), privileges (not with no_acl); its connection limit and template flag
  // last, once everything else is restored (with single_transaction, inside the
  // transaction). With single_transaction, a failure or an interrupt drops the database
  // again (it is empty: the transaction rolled back).
  bool create = false;
  // With create: create and restore into the database of this name instead of the
  // archive's, with the archive's properties (--replace's temporary database, replace.h). The
  // caller owns it: after a failure it is left for the caller to drop (also with
  // single_transaction), and the failure message does not mention it. The connection limit
  // and template flag are not set: RestoreResult carries them for the caller. Default "".
  std::string create_as;
  // With create_as: the database --replace replaces, which the messages of the checks made
  // before CREATE DATABASE name (and whose advice is --replace's). Default "": not --replace.
  std::string replacing;
  // With create_as, when the archive records nothing about its database (no
  // catalog::DatabaseInfo: archives written before 2026-11-24): creates database create_as
  // in place of -C's CREATE DATABASE (the archive's encoding, the server's defaults).
  // Default empty: -C's.
  std::function<absl::Status()> create_without_database_info;
  // -c: drop the selected objects (DROP ... IF EXISTS, reverse order) before recreating
  // them; with create, drop and re-create the database. Default false: restoring into a
  // database holding conflicting objects fails before anything is changed.
  bool clean = false;
  bool if_exists = false;  // accepted for pg_restore compatibility; drops always use IF EXISTS
  bool no_owner = false;   // -O: skip owner_sql
  bool no_acl = false;     // -x: skip the ACL pass
  // For restoring into another environment (pg_restore's options of the same names), all
  // default false:
  // --no-tablespaces: every object goes to the target database's default tablespace (no
  // SET default_tablespace, no TABLESPACE in CREATE DATABASE, no tablespaces from --globals).
  // Archives written before 2026-11-25 carry TABLESPACE clauses inside their statements:
  // the restore then fails before changing anything if any selected item has one.
  bool no_tablespaces = false;
  bool no_comments = false;         // --no-comments: no COMMENT ON (objects and database)
  bool no_security_labels = false;  // --no-security-labels: no SECURITY LABEL
  bool no_publications = false;     // --no-publications: no publications or their members
  bool no_subscriptions = false;    // --no-subscriptions: no subscriptions
  // -1: everything on one connection in one transaction; on failure nothing is left behind.
  bool single_transaction = false;
  // --disable-triggers: turn off the triggers (user and FOREIGN KEY triggers) of the
  // existing tables the data is loaded into, for the load, and put each back into its
  // previous state afterwards, also after a failure (engine/restore/trigger_switch.h).
  // Needs the tables' owner, and a superuser for FOREIGN KEY triggers. Default false: the
  // triggers fire, as with pg_restore.
  bool disable_triggers = false;
  // --superuser: with disable_triggers, SET ROLE to this role around the ALTER TABLEs.
  // Default "": the connecting role.
  std::string superuser;
  // --globals: first create the archive's roles and tablespaces (pgark dump --globals),
  // skipping those that exist, with a notice. The archive must have them (kFailedPrecondition).
  bool globals = false;
  // -n/-N/-t/-T patterns with pg_dump's rules (restore/name_filter.h). Empty = all.
  std::vector<std::string> schemas;
  std::vector<std::string> exclude_schemas;
  std::vector<std::string> tables;
  std::vector<std::string> exclude_tables;
  // -L/--use-list: the numbers (1-based, as -l prints them; restore/use_list.h) of the catalog
  // items to restore, on top of the patterns; a table's rows and a sequence's value load only
  // when its TABLE DATA / SEQUENCE SET item is listed, large objects when all of theirs are.
  // Default nullopt: every item.
  std::optional<std::set<int>> use_list;
  // --section: which sections run. Default all three.
  bool pre_data = true;
  bool data = true;
  bool post_data = true;
  // Connect to this database instead of the one conninfo names; with create, the database
  // to connect to first (to create the new one). Default "": the conninfo's.
  std::string target_database;
  // maintenance_work_mem of every restore session, in kB: what an index build may use for
  // its sort (btree) or its entry accumulator (GIN) before spilling/flushing. Never lowers
  // the server's setting. Default -1 (kAutoMaintenanceWorkMem): 1 GB shared by the
  // connections (1 GB / jobs, at least 64 MB); 0: the server's setting.
  int64_t maintenance_work_mem_kb = -1;
  // The pre-check (docs/restore.md "Interrupts and failures"): before anything changes, read
  // every frame the restore will load and check its header, its agreement with the index and
  // its storage checksum (format::ArchiveReader::CheckStoredFrames; no decompression, no
  // decryption), so that a damaged archive is refused with nothing changed. Random-access
  // sources only (a pipe is read once). Default nullopt: on for local files, off for S3
  // (it would download the archive twice); true/false force it (--precheck/--no-precheck).
  std::optional<bool> precheck;
  // Chunks buffered in memory per stream when reading a pipe (see PipeFeed). Default 8.
  size_t pipe_queue_chunks = 8;
  std::string application_name = "pgark restore";
  format::KeyRing keys;
  // Live counters for a progress display (phases, bytes, streams, items), borrowed.
  // Default nullptr: none.
  TransferProgress* progress = nullptr;
  // Asked before anything destructive happens to a target that holds user objects: --clean
  // into an existing database, or -C --clean over an existing one. Receives what is there;
  // a non-OK status stops the restore with nothing changed and is returned as is.
  // Default empty: no question (the CLI asks on a terminal, see docs/restore.md).
  std::function<absl::Status(const restore::DatabaseDescription&)> confirm;
};

struct VerifyOptions {
  format::KeyRing keys;
  // Parse every COPY tuple (binary tuple walk, text line count) and compare row counts with
  // the index. Default true.
  bool parse_tuples = true;
};

}  // namespace pgark::engine
