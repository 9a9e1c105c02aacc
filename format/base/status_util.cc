#include "format/base/status_util.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace pgark::base {

absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return WithMessage(status, absl::StrCat(context, ": ", status.message()));
}

absl::Status WithMessage(const absl::Status& status, absl::string_view message) {
  if (status.ok()) return status;
  absl::Status replaced(status.code(), message);
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& payload) {
    replaced.SetPayload(type_url, payload);
  });
  return replaced;
}

absl::Status ErrnoToStatus(int error_number, absl::string_view message) {
  char buffer[256];
  // GNU strerror_r may return a static string instead of filling the buffer.
  const char* text = strerror_r(error_number, buffer, sizeof(buffer));
  std::string full = absl::StrCat(message, ": [", error_number, "] ", text);
  switch (error_number) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(full);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(full);
    case ENOSPC:
    case EDQUOT:
    case ENOMEM:
    case EFBIG:
    case EMFILE:
    case ENFILE:
      return absl::ResourceExhaustedError(full);
    case EEXIST:
      return absl::AlreadyExistsError(full);
    case EINTR:
    case EAGAIN:
    case EIO:
    case ECONNRESET:
    case ECONNREFUSED:
    case ETIMEDOUT:
    case EPIPE:
    case EHOSTUNREACH:
    case ENETUNREACH:
      return absl::UnavailableError(full);
    case EINVAL:
    case EISDIR:
    case ENAMETOOLONG:
      return absl::InvalidArgumentError(full);
    default:
      return absl::UnknownError(full);
  }
}

std::string GetPayload(const absl::Status& status, absl::string_view type_url) {
  auto payload = status.GetPayload(type_url);
  return payload.has_value() ? std::string(*payload) : std::string();
}

}  // namespace pgark::base
