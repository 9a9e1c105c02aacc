#pragma once
// The triggers of the tables a restore loads into, and `--disable-triggers`.
//
// Loading into tables that already exist (a data-only restore) fires their triggers: user
// triggers and the FOREIGN KEY triggers (RI_ConstraintTrigger_*), as with pg_restore.
// --disable-triggers turns them off for the load, like pg_restore's `ALTER TABLE ... DISABLE
// TRIGGER ALL`, and afterwards puts back exactly the state each trigger had (ENABLE,
// ENABLE REPLICA, ENABLE ALWAYS; a trigger that was disabled before stays disabled), where
// pg_restore's `ENABLE TRIGGER ALL` would also turn on triggers the operator had disabled.
//
// Permissions (PostgreSQL's): ALTER TABLE needs the table's owner; disabling the FOREIGN KEY
// triggers (system triggers) needs a superuser. `superuser`: a role to `SET ROLE` to around
// these statements (pgark's --superuser; pg_restore uses SET SESSION AUTHORIZATION, which
// only a superuser session can run anyway), so a login role that is a member of a superuser
// role can use it.
//
// Thread-safety: not thread-safe; use on one connection that nothing else uses meanwhile.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/pg/connection.h"
#include "engine/restore/load_order.h"

namespace pgark::engine::restore {

struct TableTriggers {
  int index = 0;         // position in QueryEnabledTriggers' `tables`
  std::string table;    // quoted qualified name
  std::string display;  // schema.name
  // Enabled triggers (tgenabled O, R or A) with their state, as ALTER TABLE spells it:
  // "" (ENABLE), "REPLICA", "ALWAYS".
  struct Trigger {
    std::string name;
    std::string mode;
    bool internal = false;  // a FOREIGN KEY (or other constraint) system trigger
  };
  std::vector<Trigger> enabled;
  bool HasUserTriggers() const;
};

// The enabled triggers of `tables` (load_order.h's TableName; TableTriggers::table is the
// quoted qualified name, display "schema.name"). Tables without enabled triggers are left
// out. One query.
absl::StatusOr<std::vector<TableTriggers>> QueryEnabledTriggers(pg::Connection& conn,
                                                                const std::vector<TableName>& tables);

// ALTER TABLE ... DISABLE TRIGGER ALL for every table of `triggers`, one table at a time
// (each statement commits on its own outside a transaction). On failure the tables already
// disabled are enabled again (best effort) and the error names the table, says what is
// needed (owner, superuser for FOREIGN KEY triggers, --superuser) and that no data was
// loaded. `superuser` may be empty.
absl::Status DisableTriggers(pg::Connection& conn, const std::vector<TableTriggers>& triggers,
                             const std::string& superuser);

// Puts every trigger of `triggers` back into its recorded state. Tries every table even
// after a failure; the error names the tables whose triggers may still be disabled, with
// the statement to run.
absl::Status RestoreTriggers(pg::Connection& conn, const std::vector<TableTriggers>& triggers,
                             const std::string& superuser);

}  // namespace pgark::engine::restore
