#pragma once
// Counts the tuples of a COPY stream as the dump stored it (chunks of whole tuples, without
// the binary file header and trailer), proving every byte parses:
//   binary: int16 field count (must equal the recorded column count), then per field an
//           int32 length (-1 = NULL, else >= 0) and that many bytes;
//   text:   lines ending in '\n'.
// Chunks may end mid-tuple (rows larger than a chunk); the parser keeps the unfinished
// part (at most one tuple) until the next chunk. Thread-compatible.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace pgark::engine::verify {

class CopyTupleCounter {
 public:
  // `fields`: columns per binary tuple; `what` names the stream in errors.
  CopyTupleCounter(bool binary, int fields, std::string what)
      : binary_(binary), fields_(fields), what_(std::move(what)) {}
  // Errors: kDataLoss naming the stream and the byte offset of the bad tuple.
  absl::Status Feed(absl::string_view chunk);
  // Errors: kDataLoss if the stream ends inside a tuple.
  absl::Status Finish();
  int64_t rows() const { return rows_; }

 private:
  absl::Status ParseBinary(absl::string_view data, size_t* consumed);

  bool binary_;
  int fields_;
  std::string what_;
  std::string pending_;  // unfinished tuple carried over from the previous chunk
  uint64_t offset_ = 0;  // stream offset of pending_[0]
  int64_t rows_ = 0;
};

}  // namespace pgark::engine::verify
