#pragma once
// Binary COPY -> text COPY: decoders that print each built-in type exactly as PostgreSQL's
// output function does in a session with
//   DateStyle = ISO, IntervalStyle = postgres, extra_float_digits = 3, TimeZone = UTC,
//   bytea_output = hex, lc_monetary = C
// and then apply COPY text escaping. Used by `pgark export FILE.pgark` to turn the binary
// table streams of an archive into `COPY ... FROM stdin;` blocks with no database at hand.
//
// Decisions (see docs/export.md):
//  - timestamptz is printed in UTC with "+00": the archive does not need the dump's TimeZone
//    and the value restores to the same instant whatever the target's TimeZone is. The
//    live-database export sets TimeZone = UTC on its sessions, so both paths print the same.
//  - money is printed as lc_monetary = C prints it ("-$1,234.56"); the export header sets
//    lc_monetary = 'C' so psql reads it back. A source database whose lc_monetary uses other
//    fraction digits would need the same setting on the target (the caveat of money itself).
//  - "char" above 127 is printed as \ooo on PostgreSQL 15+ (as charout does there), else raw.
//
// A type with no decoder (extension base types, aclitem, int2vector, ...) is rejected when
// the row decoder is built, with an error naming the table and the column, never printed
// wrongly. Malformed input (lengths beyond the data, bad headers, dimension counts above
// PostgreSQL's limits, nesting deeper than kMaxTypeDepth) is kDataLoss; the data is
// untrusted and every length is checked against the bytes present before use.
//
// Thread-safety: decoders are immutable after construction and may be shared by threads;
// a BinaryCopyToText keeps per-stream state and is used by one thread at a time.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pgark::engine {

// The shape of a column's type as binary COPY puts it on the wire (the dump records it per
// column). Built-in base types are recognised by their OID (below 10000, fixed by genbki);
// user-defined enums, domains, arrays, ranges, multiranges and composites by their kind and
// children.
struct DecodeType {
  enum class Kind : uint8_t { kBase, kEnum, kArray, kDomain, kRange, kMultirange, kComposite };
  DecodeType() = default;
  DecodeType(Kind kind, uint32_t oid, std::string name, std::vector<DecodeType> children = {},
             std::string schema = "", std::string type_name = "")
      : kind(kind), oid(oid), name(std::move(name)), children(std::move(children)),
        schema(std::move(schema)), type_name(std::move(type_name)) {}
  Kind kind = Kind::kBase;
  uint32_t oid = 0;
  std::string name;  // for messages, e.g. "public.mood" or "integer"
  // kArray: [element]; kDomain: [base]; kRange: [subtype]; kMultirange: [range];
  // kComposite: one per attribute, in order.
  std::vector<DecodeType> children;
  // pg_type's namespace and typname as the dump recorded them ("" in built-in descriptions):
  // a restore finds the target's OID of a user type by them (engine/restore/type_oid_patcher.h).
  std::string schema, type_name;
};

// Nesting deeper than this (arrays of composites of ranges ...) is rejected.
inline constexpr int kMaxTypeDepth = 32;

// The session settings under which the server's text output equals what the decoders print.
// The live-database export runs them on every connection.
inline constexpr absl::string_view kTextOutputSettingsSql =
    "SET DateStyle = 'ISO'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; "
    "SET TimeZone = 'UTC'; SET bytea_output = 'hex'; SET lc_monetary = 'C';";

struct DecodeOptions {
  int server_version = 150000;  // of the source: "char" output changed in 15
};

// Prints one binary value as the type's output function would (no COPY escaping).
class ValueDecoder {
 public:
  virtual ~ValueDecoder() = default;
  // Appends the text form of the binary value `in` to *out. kDataLoss if `in` is malformed.
  virtual absl::Status Decode(absl::string_view in, std::string* out) const = 0;
};

// Builds the decoder for `type`. kUnimplemented naming the type when it (or a type inside
// it) has no decoder; kInvalidArgument for a malformed description.
absl::StatusOr<std::unique_ptr<ValueDecoder>> MakeValueDecoder(const DecodeType& type,
                                                               const DecodeOptions& options = {});

// The description of a built-in type by OID (base types, their arrays, built-in ranges and
// multiranges), or nullptr if `oid` is not one the decoders know.
const DecodeType* BuiltinDecodeType(uint32_t oid);

// Appends `value` with COPY text-format escaping (backslash, \b \f \n \r \t \v).
void AppendCopyTextEscaped(absl::string_view value, std::string* out);

struct DecodeColumn {
  std::string name;  // unquoted, for messages
  DecodeType type;
};

// Converts one table's binary COPY stream (signature, header, tuples, trailer) into text
// COPY rows ("a\tb\\N...\n"), as `COPY ... TO STDOUT` in text format prints them.
class BinaryCopyToText {
 public:
  // Errors: kUnimplemented "table T column C: no binary-to-text decoder for type X".
  static absl::StatusOr<std::unique_ptr<BinaryCopyToText>> Create(
      std::string table, const std::vector<DecodeColumn>& columns,
      const DecodeOptions& options = {});

  // Consumes the next bytes of the stream (any split, rows may span calls) and appends the
  // complete rows decoded so far to *out. Errors: kDataLoss naming the table, the column and
  // the row number; after an error the object must not be used again.
  absl::Status Feed(absl::string_view data, std::string* out);
  // Checks that the stream ended with the trailer and nothing is left over.
  absl::Status Finish() const;
  int64_t rows() const { return rows_; }

 private:
  BinaryCopyToText() = default;
  // Decodes as many complete tuples from pending_[pos_...] as are present.
  absl::Status DecodeAvailable(std::string* out);

  std::string table_;
  std::vector<std::string> column_names_;
  std::vector<std::unique_ptr<ValueDecoder>> decoders_;
  std::string pending_;  // bytes not yet decoded (at most one partial tuple or header)
  bool header_done_ = false;
  bool trailer_seen_ = false;
  int64_t rows_ = 0;
  std::string scratch_;
};

}  // namespace pgark::engine
