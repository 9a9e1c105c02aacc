#include "engine/storage/s3/multipart_planner.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace pgark::storage::s3 {

PartPlan PlanParts(uint64_t configured, uint64_t expected_size) {
  uint64_t base = std::max<uint64_t>(configured, 1);
  // Leave 1,000 parts of headroom for a hint that undershoots; round to whole MiB.
  constexpr uint64_t kMiB = 1 << 20;
  uint64_t needed = (expected_size + 8999) / 9000;
  needed = (needed + kMiB - 1) / kMiB * kMiB;
  return PartPlan{std::min(std::max(base, needed), kMaxPartSize)};
}

absl::StatusOr<uint64_t> PartSize(const PartPlan& plan, int part_number) {
  if (part_number < 1 || part_number > kMaxParts) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the object needs more than ", kMaxParts, " parts of at most ",
        PartSize(plan, kMaxParts).value_or(0), " bytes; raise the part size"));
  }
  int step = (part_number - 1) / kPartsPerSizeStep;  // 0..9
  uint64_t size = plan.base_part_size;
  for (int i = 0; i < step && size < kMaxPartSize; ++i) size *= 2;
  return std::min(size, kMaxPartSize);
}

uint64_t PlanCapacity(const PartPlan& plan) {
  uint64_t total = 0;
  for (int step = 0; step < kMaxParts / kPartsPerSizeStep; ++step) {
    total += kPartsPerSizeStep * PartSize(plan, step * kPartsPerSizeStep + 1).value();
  }
  return total;
}

}  // namespace pgark::storage::s3
