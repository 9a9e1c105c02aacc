#pragma once
// Part sizes for S3 multipart uploads. S3 allows at most 10,000 parts of 5 MiB..5 GiB
// (the last part may be smaller) and objects up to 5 TiB. Archives are written as a
// stream, often of unknown size, so the part size grows with the part number: parts
// 1..1000 have the base size, 1001..2000 twice that, and so on (capped at 5 GiB). With
// the default 8 MiB base, 10,000 parts hold ~8 PB, more than S3's object limit, so the
// part limit is never what stops an upload. A size hint raises the base so that the
// hinted size fits in the first 9,000 parts.
//
// Pure functions; thread-safe.

#include <cstdint>

#include "absl/status/statusor.h"

namespace pgark::storage::s3 {

inline constexpr int kMaxParts = 10000;
inline constexpr uint64_t kMaxPartSize = 5ull << 30;
inline constexpr int kPartsPerSizeStep = 1000;

struct PartPlan {
  uint64_t base_part_size;  // size of parts 1..1000
};

// `configured` is S3Options::part_size; `expected_size` 0 when unknown.
PartPlan PlanParts(uint64_t configured, uint64_t expected_size);

// Size of part `part_number` (1-based). Errors: kResourceExhausted when part_number exceeds
// 10,000 (only reachable with a tiny configured part size).
absl::StatusOr<uint64_t> PartSize(const PartPlan& plan, int part_number);

// Largest object the plan can hold in 10,000 parts.
uint64_t PlanCapacity(const PartPlan& plan);

}  // namespace pgark::storage::s3
