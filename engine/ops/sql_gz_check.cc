#include "engine/ops/sql_gz_check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/pg/connection.h"
#include "format/base/child_exec.h"
#include "format/base/status_macros.h"
#include "format/base/status_util.h"

namespace pgark::ops {
namespace {

constexpr size_t kReadBlock = 1 << 20;

bool IsExecutable(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

// "key='value'" with libpq's quoting (backslash before ' and \).
std::string ConninfoPair(const std::string& key, const std::string& value) {
  std::string quoted;
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  return absl::StrCat(key, "='", quoted, "'");
}

// Reads the whole of an (unlinked) temporary file from the start.
std::string ReadAll(int fd) {
  std::string out;
  if (lseek(fd, 0, SEEK_SET) < 0) return out;
  char buffer[65536];
  ssize_t got;
  while ((got = read(fd, buffer, sizeof(buffer))) > 0) out.append(buffer, static_cast<size_t>(got));
  return out;
}

int UnlinkedTempFile() {
  char path[] = "/tmp/pgark-psql-XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) unlink(path);
  return fd;
}

// The last `n` non-empty lines of `text`, joined by " | ".
std::string LastLines(const std::string& text, size_t n) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipWhitespace());
  if (lines.size() > n) lines.erase(lines.begin(), lines.end() - static_cast<ptrdiff_t>(n));
  return absl::StrJoin(lines, " | ");
}

// psql as a child process: the script goes to its stdin, its stdout and stderr to unlinked
// temporary files (read after it exits, so a chatty psql can never block on a full pipe).
class PsqlProcess {
 public:
  ~PsqlProcess() {
    if (stdin_fd_ >= 0) close(stdin_fd_);
    if (pid_ > 0) Wait().IgnoreError();
    if (out_fd_ >= 0) close(out_fd_);
    if (err_fd_ >= 0) close(err_fd_);
  }

  absl::Status Start(const std::string& psql, const std::string& conninfo,
                     const std::string& password) {
    out_fd_ = UnlinkedTempFile();
    err_fd_ = UnlinkedTempFile();
    if (out_fd_ < 0 || err_fd_ < 0) return base::ErrnoToStatus(errno, "creating psql's output files");
    // Built before fork(): pgark has other threads (format/base/child_exec.h).
    std::map<std::string, std::string> set;
    if (!password.empty()) set["PGPASSWORD"] = password;
    const base::ChildExec exec({psql, "-X", "-v", "ON_ERROR_STOP=1", "-d", conninfo}, set, {"PGPASSWORD"});
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return base::ErrnoToStatus(errno, "pipe for psql");
    pid_t pid = fork();
    if (pid < 0) return base::ErrnoToStatus(errno, "fork for psql");
    if (pid == 0) {
      dup2(fds[0], 0);
      dup2(out_fd_, 1);
      dup2(err_fd_, 2);
      exec.Exec();
      _exit(127);
    }
    close(fds[0]);
    pid_ = pid;
    stdin_fd_ = fds[1];
    return absl::OkStatus();
  }

  // Writes script text. False once psql stopped reading (it exited; Wait() says why).
  bool Write(absl::string_view text) {
    while (!text.empty()) {
      ssize_t n = write(stdin_fd_, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return false;  // EPIPE (SIGPIPE is ignored by pgark)
      text.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Closes psql's stdin, waits for it and returns its exit code (-1: killed by a signal).
  absl::StatusOr<int> Wait() {
    if (stdin_fd_ >= 0) {
      close(stdin_fd_);
      stdin_fd_ = -1;
    }
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0) {
      if (errno != EINTR) return base::ErrnoToStatus(errno, "waiting for psql");
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string Stdout() { return ReadAll(out_fd_); }
  std::string Stderr() { return ReadAll(err_fd_); }

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
};

// Sum of the "COPY <n>" command tags psql printed.
int64_t CopiedRows(const std::string& psql_stdout) {
  int64_t rows = 0;
  for (absl::string_view line : absl::StrSplit(psql_stdout, '\n')) {
    int64_t n = 0;
    if (absl::ConsumePrefix(&line, "COPY ") && absl::SimpleAtoi(line, &n)) rows += n;
  }
  return rows;
}

}  // namespace

absl::StatusOr<GunzipResult> GunzipObject(
    storage::Storage& storage, absl::string_view key,
    const std::function<absl::Status(absl::string_view text)>& sink) {
  PGARK_ASSIGN_OR_RETURN(auto reader, storage.NewReader(key));
  z_stream z = {};
  // 15 + 16: a gzip wrapper (not zlib), whose CRC-32 and ISIZE inflate() checks.
  if (inflateInit2(&z, 15 + 16) != Z_OK) return absl::InternalError("inflateInit2 failed");
  struct Cleanup {
    z_stream* z;
    ~Cleanup() { inflateEnd(z); }
  } cleanup{&z};
  GunzipResult result;
  uint64_t consumed_before_member = 0;  // z.total_in restarts with each member
  bool in_member = false;
  std::string input, output(kReadBlock, '\0');
  while (true) {
    input.clear();
    PGARK_ASSIGN_OR_RETURN(size_t got, reader->Read(kReadBlock, &input));
    if (got == 0) break;
    result.compressed_bytes += got;
    z.next_in = reinterpret_cast<Bytef*>(input.data());
    z.avail_in = static_cast<uInt>(input.size());
    while (z.avail_in > 0) {
      in_member = true;
      z.next_out = reinterpret_cast<Bytef*>(output.data());
      z.avail_out = static_cast<uInt>(output.size());
      int rc = inflate(&z, Z_NO_FLUSH);
      size_t produced = output.size() - z.avail_out;
      result.text_bytes += produced;
      if (sink && produced > 0) {
        PGARK_RETURN_IF_ERROR(sink(absl::string_view(output.data(), produced)));
      }
      if (rc == Z_STREAM_END) {
        ++result.members;
        in_member = false;
        consumed_before_member += z.total_in;
        if (inflateReset(&z) != Z_OK) return absl::InternalError("inflateReset failed");
        continue;
      }
      if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // needs more input
      if (rc != Z_OK) {
        std::string what = z.msg != nullptr ? z.msg : absl::StrCat("zlib error ", rc);
        return absl::DataLossError(absl::StrFormat(
            "%s/%s: not a valid gzip stream: %s in member %d (compressed bytes %d..%d)",
            storage.DisplayName(), key, what, result.members + 1, consumed_before_member,
            consumed_before_member + z.total_in));
      }
    }
  }
  if (in_member) {
    return absl::DataLossError(absl::StrFormat(
        "%s/%s: truncated: gzip member %d ends early at compressed byte %d of %d",
        storage.DisplayName(), key, result.members + 1, consumed_before_member + z.total_in,
        result.compressed_bytes));
  }
  if (result.members == 0) {
    return absl::DataLossError(absl::StrCat(storage.DisplayName(), "/", key, ": empty, not a gzip file"));
  }
  return result;
}

void CopyRowCounter::Feed(absl::string_view text) {
  while (!text.empty()) {
    size_t newline = text.find('\n');
    absl::string_view piece = text.substr(0, newline);
    if (head_.size() < kKeep) {
      absl::string_view more = piece.substr(0, kKeep - head_.size());
      head_.append(more.data(), more.size());
    }
    absl::string_view end = piece.size() > kKeep ? piece.substr(piece.size() - kKeep) : piece;
    tail_.append(end.data(), end.size());
    if (tail_.size() > kKeep) tail_.erase(0, tail_.size() - kKeep);
    if (newline == absl::string_view::npos) return;
    EndLine();
    text.remove_prefix(newline + 1);
  }
}

void CopyRowCounter::EndLine() {
  if (in_copy_) {
    if (head_ == "\\.") {
      in_copy_ = false;
    } else {
      ++rows_;
    }
  } else if (absl::StartsWith(head_, "COPY ") && absl::EndsWith(tail_, " FROM stdin;")) {
    in_copy_ = true;
    ++blocks_;
  }
  head_.clear();
  tail_.clear();
}

absl::StatusOr<std::string> FindPsql() {
  std::vector<std::string> searched;
  if (const char* bindir = std::getenv("PGARK_PG_BINDIR"); bindir != nullptr && *bindir) {
    std::string path = absl::StrCat(bindir, "/psql");
    if (IsExecutable(path)) return path;
    searched.push_back(path);
  }
  const char* path_env = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path_env ? path_env : "", ':', absl::SkipEmpty())) {
    std::string path = absl::StrCat(dir, "/psql");
    if (IsExecutable(path)) return path;
  }
  searched.push_back("$PATH");
  int best_major = -1;
  std::string best;
  std::error_code ignored;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ignored)) {
    int major = 0;
    std::string path = (entry.path() / "bin" / "psql").string();
    if (absl::SimpleAtoi(entry.path().filename().string(), &major) && major > best_major &&
        IsExecutable(path)) {
      best_major = major;
      best = path;
    }
  }
  if (!best.empty()) return best;
  searched.push_back("/usr/lib/postgresql/*/bin");
  return absl::FailedPreconditionError(absl::StrCat(
      "PGARK_VERIFY=restore-test of a sql.gz backup replays it with psql, which was not found "
      "(searched ", absl::StrJoin(searched, ", "),
      "): install postgresql-client or set PGARK_PG_BINDIR"));
}

absl::Status RunSqlGzRestoreTest(storage::Storage& storage, absl::string_view key,
                                 const std::string& conninfo, SqlGzRestoreReport* report) {
  PGARK_ASSIGN_OR_RETURN(std::string psql, FindPsql());
  PGARK_ASSIGN_OR_RETURN(auto maintenance, pg::Connection::Open(conninfo));
  std::random_device random;
  report->scratch_database = absl::StrFormat("pgark_verify_%08x%08x", random(), random());
  PGARK_RETURN_IF_ERROR(maintenance->Execute(absl::StrCat(
      "CREATE DATABASE ", maintenance->QuoteIdentifier(report->scratch_database), " TEMPLATE template0")));
  absl::Status status = [&]() -> absl::Status {
    // psql connects exactly as the maintenance connection did, to the scratch database.
    std::map<std::string, std::string> parameters = maintenance->Parameters();
    std::string password = parameters["password"];
    parameters.erase("password");
    parameters["dbname"] = report->scratch_database;
    parameters["application_name"] = "pgark verify";
    std::vector<std::string> pairs;
    for (const auto& [name, value] : parameters) pairs.push_back(ConninfoPair(name, value));
    PsqlProcess process;
    PGARK_RETURN_IF_ERROR(process.Start(psql, absl::StrJoin(pairs, " "), password));
    CopyRowCounter counter;
    bool psql_reading = true;
    auto gunzip = GunzipObject(storage, key, [&](absl::string_view text) {
      counter.Feed(text);
      if (psql_reading) psql_reading = process.Write(text);
      return absl::OkStatus();
    });
    PGARK_ASSIGN_OR_RETURN(int exit_code, process.Wait());
    PGARK_RETURN_IF_ERROR(gunzip.status());  // a damaged stream matters more than psql's view
    report->gunzip = *gunzip;
    report->copy_blocks = counter.blocks();
    report->script_rows = counter.rows();
    if (exit_code != 0) {
      return absl::DataLossError(absl::StrCat("restore test: psql stopped replaying ", key,
                                              " (exit ", exit_code, "): ",
                                              LastLines(process.Stderr(), 3)));
    }
    report->loaded_rows = CopiedRows(process.Stdout());
    if (report->loaded_rows != report->script_rows) {
      return absl::DataLossError(absl::StrCat(
          "restore test: ", key, " holds ", report->script_rows, " rows in ", report->copy_blocks,
          " COPY blocks, but psql loaded ", report->loaded_rows));
    }
    return absl::OkStatus();
  }();
  // Always drop the scratch database, also after a failure.
  absl::Status dropped = maintenance->DropDatabase(report->scratch_database, true);
  if (status.ok()) status = dropped;
  return status;
}

}  // namespace pgark::ops
