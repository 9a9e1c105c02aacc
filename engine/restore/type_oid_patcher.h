#pragma once
// Rewrites the type OIDs that binary COPY data embeds, so a table dumped from one database loads
// into a PostgreSQL 12 or 13 target whose user types have other OIDs (catalog-reference d.3/d.4).
//
// What is on the wire (copy.sgml; arrayfuncs.c array_send, rowtypes.c record_send,
// rangetypes.c range_send, multirangetypes.c multirange_send):
//   array      int32 ndim, int32 flags (0/1), int32 ELEMENT TYPE OID, ndim x (int32 dim, int32
//              lbound), then per element int32 len (-1 = NULL) and the element's bytes
//   composite  int32 ncols, then per non-dropped attribute: int32 ATTRIBUTE TYPE OID, int32 len
//              (-1 = NULL), bytes
//   range      1 flag byte, then the lower and/or upper bound as int32 len + subtype bytes
//   multirange int32 count, then per range int32 len + range bytes
//   domain     its base type's format; enums and base types carry no OID
// PostgreSQL 12/13 reject an element/attribute OID that differs from the column's ("wrong
// element type", "wrong data type"); 14+ only check OIDs below FirstGenbkiObjectId (10000).
// OIDs from 10000 up are not fixed by genbki: user types (16384+) and the types initdb creates
// (information_schema domains, 10000-16383) may differ between source and target, so every
// embedded OID >= 10000 is mapped; built-in OIDs below 10000 are the same in every version and
// left as they are.
//
// Contract of TypeOidPatcher:
//  - Input: the recorded type shape of every column, in COPY order (the dump's plan.json, parsed
//    by DecodeTypeFromShapeJson), and a map source OID -> target OID (BuildTypeOidMap). The
//    stream is the dump's table stream: binary tuples only, no PGCOPY header (an int16 -1
//    trailer ends it if present; nothing may follow it).
//  - Output: the same bytes with each embedded OID >= 10000 replaced by its target OID. Lengths
//    never change. Values whose shape embeds no such OID are skipped without being parsed.
//  - Chunks may split the stream anywhere, even inside a length or an OID: at most 3 bytes of an
//    incomplete header are held back between calls (carried into the next chunk).
//  - Untrusted input: every length is checked against the bytes of the enclosing value and
//    against the recorded shape (field counts, array dimensions, an embedded OID must be the
//    recorded source OID). Malformed data is kDataLoss naming the table, the column and the row;
//    after an error the object must not be used again.
//
// Cost: O(bytes of the columns that embed user-type OIDs) with no allocation per row; columns
// without such OIDs cost one length read per field.
//
// Thread-safety: a TypeOidPatcher keeps per-stream state; one thread at a time.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/export/binary_to_text.h"
#include "engine/pg/connection.h"

namespace pgark::engine::restore {

// OIDs below this are assigned by genbki and equal in every PostgreSQL version and database.
inline constexpr uint32_t kFirstGenbkiObjectId = 10000;

// Source type OID -> target type OID, for OIDs >= kFirstGenbkiObjectId.
using TypeOidMap = std::map<uint32_t, uint32_t>;

// True when binary COPY data of `type` carries a type OID >= kFirstGenbkiObjectId (an array
// of such a type, a composite with such an attribute, at any depth): a PostgreSQL 12/13 target
// rejects it unless patched.
bool EmbedsUserTypeOid(const DecodeType& type);

// A user type whose OID binary COPY data of `type` embeds, as recorded on the source.
struct EmbeddedType {
  uint32_t source_oid = 0;
  std::string schema, name;   // pg_type's namespace and typname on the source
  // For an array type: its element's schema and name. The target's array OID is looked up as
  // the element's typarray (array type names are generated and may differ, e.g. "__t").
  bool is_array = false;
  std::string element_schema, element_name;
};

// Every embedded OID >= kFirstGenbkiObjectId of `type` (each once per call; duplicates across
// calls are harmless). Appends to *out.
void CollectEmbeddedTypes(const DecodeType& type, std::vector<EmbeddedType>* out);

// Looks every type of `types` up in the target database (one query): by (schema, name), and an
// array type as its element's typarray. Types not found are left out of the map (the patcher
// then refuses the column naming the type). Errors: the query's.
absl::StatusOr<TypeOidMap> BuildTypeOidMap(pg::Connection& target, const std::vector<EmbeddedType>& types);

// One column of the table, in COPY order.
struct PatchColumn {
  std::string name;  // unquoted, for messages
  DecodeType type;   // the recorded shape
};

class TypeOidPatcher {
 public:
  // Compiles the shapes. Errors: kFailedPrecondition naming the table, the column and the type
  // when an embedded OID >= 10000 has no entry in `map` (never guessed); kInvalidArgument for a
  // shape nested deeper than kMaxTypeDepth or malformed (an array without its element).
  static absl::StatusOr<std::unique_ptr<TypeOidPatcher>> Create(std::string table,
                                                                const std::vector<PatchColumn>& columns,
                                                                const TypeOidMap& map);

  // Patches *chunk in place. Bytes of a header split by the chunk's end are removed from *chunk
  // and put back in front of the next chunk, so the concatenation of the chunks after the calls
  // is the input stream with its OIDs patched. Errors: kDataLoss (see above).
  absl::Status Patch(std::string* chunk);
  // Checks that the stream ended on a tuple boundary with nothing held back. kDataLoss if not.
  absl::Status Finish() const;

  int64_t rows() const { return rows_; }                  // tuples started so far
  int64_t patched_oids() const { return patched_oids_; }  // OIDs rewritten to another value

  ~TypeOidPatcher();

 private:
  struct Node;
  struct Frame;
  TypeOidPatcher();
  absl::StatusOr<int> Compile(const DecodeType& type, const TypeOidMap& map, const std::string& column,
                              int depth);
  // Consumes one complete header of the top frame at `p` (patching OIDs in place).
  absl::Status OnToken(char* p);
  // Accounts for a value of `len` bytes inside the top frame: skipped or pushed as a frame.
  absl::Status StartValue(int node, int64_t len);
  size_t TokenSize() const;
  absl::Status PopCompleted();
  absl::Status Corrupt(const std::string& problem) const;

  std::string table_;
  std::vector<std::string> column_names_;
  std::vector<int> column_nodes_;  // per column: node index (0 = opaque)
  std::vector<Node> nodes_;
  std::vector<Frame> stack_;       // stack_[0] is the tuple level
  std::string carry_;              // bytes of an incomplete header (< 4)
  int64_t skip_ = 0;               // opaque bytes still to pass through
  bool trailer_seen_ = false;
  int current_column_ = -1;        // column of the field being read, for messages
  int64_t rows_ = 0;
  int64_t patched_oids_ = 0;
};

}  // namespace pgark::engine::restore
