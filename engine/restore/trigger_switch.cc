#include "engine/restore/trigger_switch.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/restore/statement_batch.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::engine::restore {
namespace {

// The statements, run as `superuser` when one is named. SET ROLE is transactional: if the
// ALTER fails, the implicit transaction of the whole string rolls it back too.
std::string AsSuperuser(pg::Connection& conn, const std::string& superuser, const std::string& sql) {
  if (superuser.empty()) return sql;
  return absl::StrCat("SET ROLE ", conn.QuoteIdentifier(superuser), "; ", sql, " RESET ROLE;");
}

std::string EnableSql(pg::Connection& conn, const TableTriggers& table) {
  std::string sql;
  for (const TableTriggers::Trigger& trigger : table.enabled) {
    absl::StrAppend(&sql, "ALTER TABLE ", table.table, " ENABLE ", trigger.mode, trigger.mode.empty() ? "" : " ",
                    "TRIGGER ", conn.QuoteIdentifier(trigger.name), ";");
  }
  return sql;
}

}  // namespace

bool TableTriggers::HasUserTriggers() const {
  for (const Trigger& trigger : enabled) {
    if (!trigger.internal) return true;
  }
  return false;
}

absl::StatusOr<std::vector<TableTriggers>> QueryEnabledTriggers(pg::Connection& conn,
                                                                const std::vector<TableName>& tables) {
  std::vector<TableTriggers> out;
  if (tables.empty()) return out;
  PGARK_ASSIGN_OR_RETURN(
      pg::Result result,
      conn.QueryParams(absl::StrCat("WITH t AS (", kTablesByName, ") "
                                    "SELECT t.idx, tg.tgname, tg.tgenabled, tg.tgisinternal "
                                    "FROM t JOIN pg_catalog.pg_trigger tg ON tg.tgrelid = t.rel "
                                    "WHERE tg.tgenabled OPERATOR(pg_catalog.<>) 'D' ORDER BY 1, 2"),
                       {TablesByNameParam(tables)}));
  int current = -1;
  for (int row = 0; row < result.rows(); ++row) {
    PGARK_ASSIGN_OR_RETURN(int64_t index, result.GetInt64(row, 0));
    if (index < 0 || index >= static_cast<int64_t>(tables.size())) continue;
    if (index != current) {
      current = static_cast<int>(index);
      TableTriggers table;
      table.index = current;
      table.table = absl::StrCat(conn.QuoteIdentifier(tables[index].schema), ".",
                                 conn.QuoteIdentifier(tables[index].name));
      table.display = absl::StrCat(tables[index].schema, ".", tables[index].name);
      out.push_back(std::move(table));
    }
    TableTriggers::Trigger trigger;
    trigger.name = std::string(result.Get(row, 1));
    const absl::string_view state = result.Get(row, 2);
    trigger.mode = state == "R" ? "REPLICA" : state == "A" ? "ALWAYS" : "";
    trigger.internal = result.GetBool(row, 3);
    out.back().enabled.push_back(std::move(trigger));
  }
  return out;
}

absl::Status DisableTriggers(pg::Connection& conn, const std::vector<TableTriggers>& triggers,
                             const std::string& superuser) {
  for (size_t i = 0; i < triggers.size(); ++i) {
    const TableTriggers& table = triggers[i];
    absl::Status status =
        conn.Execute(AsSuperuser(conn, superuser, absl::StrCat("ALTER TABLE ", table.table, " DISABLE TRIGGER ALL;")));
    if (status.ok()) continue;
    // Put back what this call already changed (outside a transaction each table committed).
    std::vector<TableTriggers> done(triggers.begin(), triggers.begin() + static_cast<std::ptrdiff_t>(i));
    RestoreTriggers(conn, done, superuser).IgnoreError();
    std::string hint;
    if (pg::SqlStateOf(status) == "42501") {
      hint = absl::StrCat(
          "; --disable-triggers needs the table's owner, and a superuser for FOREIGN KEY (system) triggers: "
          "connect as one",
          superuser.empty() ? ", or name a superuser role this role may SET ROLE to with --superuser" : "");
    }
    const absl::Status failed = FailedItem(status, absl::StrCat("disabling the triggers of table ", table.display));
    return base::WithMessage(failed, absl::StrCat(failed.message(), hint, "; no data was loaded"));
  }
  return absl::OkStatus();
}

absl::Status RestoreTriggers(pg::Connection& conn, const std::vector<TableTriggers>& triggers,
                             const std::string& superuser) {
  std::vector<std::string> still_disabled;
  absl::Status first;
  for (const TableTriggers& table : triggers) {
    absl::Status status = conn.Execute(AsSuperuser(conn, superuser, EnableSql(conn, table)));
    if (status.ok()) continue;
    if (first.ok()) first = status;
    still_disabled.push_back(table.display);
  }
  if (still_disabled.empty()) return absl::OkStatus();
  const absl::Status failed = FailedItem(first, "re-enabling triggers");
  return base::WithMessage(
      failed,
      absl::StrCat(failed.message(), "; the triggers of ",
                   absl::StrJoin(still_disabled, ", "),
                   " may still be disabled: run ALTER TABLE ... ENABLE TRIGGER for them (pgark restores each "
                   "trigger's previous state, pg_restore would run ENABLE TRIGGER ALL)"));
}

}  // namespace pgark::engine::restore
