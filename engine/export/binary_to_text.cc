// Binary-to-text decoders. Each base-type function mirrors the PostgreSQL output function
// named in its comment (src/backend/utils/adt/...); the integration test
// export_decoders_test.cc compares every one of them with the server's own text output.
#include "engine/export/binary_to_text.h"

#include <charconv>
#include <cinttypes>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "format/base/status_macros.h"

namespace pgark::engine {
namespace {

// PostgreSQL limits that bound what valid data can contain.
constexpr int kMaxArrayDims = 6;               // MAXDIM
constexpr int64_t kMaxFieldBytes = 1LL << 30;  // a varlena is below 1 GiB

absl::Status Malformed(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("malformed binary value: ", what));
}

// Bounds-checked big-endian reader over one value.
class Cursor {
 public:
  explicit Cursor(absl::string_view data) : data_(data) {}
  size_t remaining() const { return data_.size() - pos_; }
  bool done() const { return pos_ == data_.size(); }

  absl::Status Need(size_t n, absl::string_view what) const {
    if (remaining() < n) {
      return Malformed(absl::StrCat(what, " needs ", n, " bytes, ", remaining(), " left"));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<uint64_t> Unsigned(int bytes, absl::string_view what) {
    PGARK_RETURN_IF_ERROR(Need(bytes, what));
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    pos_ += bytes;
    return v;
  }
  absl::StatusOr<uint8_t> U8(absl::string_view what) {
    PGARK_ASSIGN_OR_RETURN(uint64_t v, Unsigned(1, what));
    return static_cast<uint8_t>(v);
  }
  absl::StatusOr<int16_t> I16(absl::string_view what) {
    PGARK_ASSIGN_OR_RETURN(uint64_t v, Unsigned(2, what));
    return static_cast<int16_t>(static_cast<uint16_t>(v));
  }
  absl::StatusOr<int32_t> I32(absl::string_view what) {
    PGARK_ASSIGN_OR_RETURN(uint64_t v, Unsigned(4, what));
    return static_cast<int32_t>(static_cast<uint32_t>(v));
  }
  absl::StatusOr<int64_t> I64(absl::string_view what) {
    PGARK_ASSIGN_OR_RETURN(uint64_t v, Unsigned(8, what));
    return static_cast<int64_t>(v);
  }
  absl::StatusOr<double> F64(absl::string_view what) {
    PGARK_ASSIGN_OR_RETURN(uint64_t v, Unsigned(8, what));
    double d;
    std::memcpy(&d, &v, sizeof d);
    return d;
  }
  absl::StatusOr<absl::string_view> Bytes(size_t n, absl::string_view what) {
    PGARK_RETURN_IF_ERROR(Need(n, what));
    absl::string_view v = data_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  // A NUL-terminated string (tsvector lexemes, tsquery operands).
  absl::StatusOr<absl::string_view> CString(absl::string_view what) {
    size_t end = data_.find('\0', pos_);
    if (end == absl::string_view::npos) return Malformed(absl::StrCat(what, " is not terminated"));
    absl::string_view v = data_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return v;
  }
  // An int32 length (-1 = NULL) followed by that many bytes; *is_null set accordingly.
  absl::StatusOr<absl::string_view> LengthPrefixed(bool* is_null, absl::string_view what) {
    PGARK_ASSIGN_OR_RETURN(int32_t len, I32(what));
    *is_null = len == -1;
    if (len == -1) return absl::string_view();
    if (len < 0) return Malformed(absl::StrCat(what, " has negative length ", len));
    return Bytes(static_cast<size_t>(len), what);
  }
  absl::Status ExpectEnd(absl::string_view what) const {
    if (!done()) return Malformed(absl::StrCat(what, " has ", remaining(), " trailing bytes"));
    return absl::OkStatus();
  }

 private:
  absl::string_view data_;
  size_t pos_ = 0;
};

// ---- Numbers -------------------------------------------------------------------------

// float4out/float8out with extra_float_digits > 0: the shortest digits that round-trip
// (Ryu in PostgreSQL; std::to_chars gives the same digits), printed in fixed notation when
// the decimal exponent is in [-4, P) (P = 15 for float8, 6 for float4) and otherwise as
// d.ddde+XX with at least two exponent digits.
template <typename T>
void AppendShortestFloat(T value, int fixed_limit, std::string* out) {
  if (std::isnan(value)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(value)) {
    out->append(value > 0 ? "Infinity" : "-Infinity");
    return;
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  absl::string_view sci(buf, res.ptr - buf);  // [-]d[.ddd]e[+-]XX
  bool negative = false;
  if (!sci.empty() && sci[0] == '-') {
    negative = true;
    sci.remove_prefix(1);
  }
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exp = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exp);
  if (negative) out->push_back('-');
  int nd = static_cast<int>(digits.size());
  if (exp >= -4 && exp < fixed_limit) {
    if (exp < 0) {
      out->append("0.");
      out->append(static_cast<size_t>(-exp - 1), '0');
      out->append(digits);
    } else if (nd <= exp + 1) {
      out->append(digits);
      out->append(static_cast<size_t>(exp + 1 - nd), '0');
    } else {
      out->append(digits, 0, exp + 1);
      out->push_back('.');
      out->append(digits, exp + 1, std::string::npos);
    }
    return;
  }
  out->push_back(digits[0]);
  if (nd > 1) {
    out->push_back('.');
    out->append(digits, 1, std::string::npos);
  }
  absl::StrAppendFormat(out, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

void AppendFloat8(double v, std::string* out) { AppendShortestFloat<double>(v, 15, out); }

absl::Status DecodeFloat4(absl::string_view in, std::string* out) {
  Cursor c(in);
  PGARK_ASSIGN_OR_RETURN(uint64_t bits, c.Unsigned(4, "float4"));
  PGARK_RETURN_IF_ERROR(c.ExpectEnd("float4"));
  uint32_t b32 = static_cast<uint32_t>(bits);
  float f;
  std::memcpy(&f, &b32, sizeof f);
  AppendShortestFloat<float>(f, 6, out);
  return absl::OkStatus();
}

absl::Status DecodeFloat8(absl::string_view in, std::string* out) {
  Cursor c(in);
  PGARK_ASSIGN_OR_RETURN(double d, c.F64("float8"));
  PGARK_RETURN_IF_ERROR(c.ExpectEnd("float8"));
  AppendFloat8(d, out);
  return absl::OkStatus();
}

template <int kBytes, bool kSigned>
absl::Status DecodeInteger(absl::string_view in, std::string* out) {
  if (in.size() != kBytes) return Malformed(absl::StrCat("integer of ", in.size(), " bytes"));
  Cursor c(in);
  PGARK_ASSIGN_OR_RETURN(uint64_t v, c.Unsigned(kBytes, "integer"));
  if constexpr (kSigned) {
    int64_t s = static_cast<int64_t>(v << (64 - 8 * kBytes)) >> (64 - 8 * kBytes);
    absl::StrAppend(out, s);
  } else {
    absl::StrAppend(out, v);
  }
  return absl::OkStatus();
}

absl::Status DecodeBool(absl::string_view in, std::string* out) {
  if (in.size() != 1) return Malformed("bool");
  out->push_back(in[0] ? 't' : 'f');
  return absl::OkStatus();
}

// numeric_send: ndigits, weight, sign, dscale, then base-10000 digits. get_str_from_var.
absl::Status DecodeNumeric(absl::string_view in, std::string* out) {
  Cursor c(in);
  PGARK_ASSIGN_OR_RETURN(int16_t ndigits, c.I16("numeric"));
  PGARK_ASSIGN_OR_RETURN(int16_t weight, c.I16("numeric"));
  PGARK_ASSIGN_OR_RETURN(int16_t sign16, c.I16("numeric"));
  PGARK_ASSIGN_OR_RETURN(int16_t dscale16, c.I16("numeric"));
  uint16_t sign = static_cast<uint16_t>(sign16);
  if (sign == 0xC000) {
    out->append("NaN");
    return absl::OkStatus();
  }
  if (sign == 0xD000) {
    out->append("Infinity");
    return absl::OkStatus();
  }
  if (sign == 0xF000) {
    out->append("-Infinity");
    return absl::OkStatus();
  }
  if ((sign != 0 && sign != 0x4000) || ndigits < 0 || dscale16 < 0 || (dscale16 & 0xC000)) {
    return Malformed("numeric header");
  }
  std::vector<int> digits(ndigits);
  for (int i = 0; i < ndigits; ++i) {
    PGARK_ASSIGN_OR_RETURN(int16_t d, c.I16("numeric digit"));
    if (d < 0 || d >= 10000) return Malformed("numeric digit out of range");
    digits[i] = d;
  }
  PGARK_RETURN_IF_ERROR(c.ExpectEnd("numeric"));
  auto digit = [&](int i) { return i >= 0 && i < ndigits ? digits[i] : 0; };
  if (sign == 0x4000) out->push_back('-');
  int d = 0;
  if (weight < 0) {
    d = weight + 1;
    out->push_back('0');
  } else {
    for (d = 0; d <= weight; ++d) {
      int dig = digit(d);
      if (d == 0) {
        absl::StrAppend(out, dig);
      } else {
        absl::StrAppendFormat(out, "%04d", dig);
      }
    }
  }
  int dscale = dscale16;
  if (dscale > 0) {
    out->push_back('.');
    std::string frac;
    for (int i = 0; static_cast<int>(frac.size()) < dscale; ++i, ++d) {
      absl::StrAppendFormat(&frac, "%04d", digit(d));
    }
    out->append(frac, 0, dscale);
  }
  return absl::OkStatus();
}

// cash_out under lc_monetary = C: "-$1,234.56".
absl::Status DecodeMoney(absl::string_view in, std::string* out) {
  Cursor c(in);
  PGARK_ASSIGN_OR_RETURN(int64_t v, c.I64("money"));
  PGARK_RETURN_IF_ERROR(c.ExpectEnd("money"));
  uint64_t u = v < 0 ? uint64_t{0} - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  std::string digits = absl::StrCat(u);
  if (digits.size() < 3) digits.insert(0, 3 - digits.size(), '0');
  std::string whole = digits.substr(0, digits.size() - 2);
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped.push_back(',');
    grouped.push_back(whole[i]);
  }
  absl::StrAppend(out, v < 0 ? "-$" : "$", grouped, ".", digits.substr(digits.size() - 2));
  return absl::OkStatus();
}

// ---- Text-like -----------------------------------------------------------------------

absl::Status DecodeText(absl::string_view in, std::string* out) {
  out->append(in.data(), in.size());
  return absl::OkStatus();
}

// "char" (charout): one byte; on PostgreSQL 15+ bytes above 127 print as \ooo.
absl::Status DecodeChar(absl::string_view in, std::string* out, bool octal_high) {
  if (in.size() > 1) return Malformed("\"char\" longer than one byte");
  if (in.empty() || in[0] == '\0') return absl::OkStatus();
  uint8_t ch = static_cast<uint8_t>(in[0]);
  if (octal_high && ch >= 0x80) {
    absl::StrAppendFormat(out, "\\%03o", ch);
  } else {
    out->push_back(static_cast<char>(ch));
  }
  return absl::OkStatus();
}

absl::Status DecodeBytea(absl::string_view in, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->reserve(out->size() + 2 + 2 * in.size());
  out->append("\\x");
  for (unsigned char ch : in) {
    out->push_back(kHex[ch >> 4]);
    out->push_back(kHex[ch & 15]);
  }
  return absl::OkStatus();
}

// jsonb_send / jsonpath_send: a version byte (1) and the text.
absl::Status DecodeVersionedText(absl::string_view in, std::string* out) {
  if (in.empty() || in[0] != 1) return Malformed("unknown jsonb/jsonpath version");
  in.remove_prefix(1);
  out->append(in.data(), in.size());
  return absl::OkStatus();
}

absl::Status DecodeUuid(absl::string_view in, std::string* out) {
  if (in.size() != 16) return Malformed("uuid is not 16 bytes");
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out->push_back('-');
    absl::StrAppendFormat(out, "%02x", static_cast<uint8_t>(in[i]));
  }
  return absl::OkStatus();
}

absl::Status DecodePgLsn(absl::string_view in, std::string* out) {
  Cursor c(in);
  PGARK_ASSIGN_OR_RETURN(uint64_t v, c.Unsigned(8, "pg_lsn"));
  PGARK_RETURN_IF_ERROR(c.ExpectEnd("pg_lsn"));
  absl::StrAppendFormat(out, "%X/%X", static_cast<uint32_t>(v >> 32), static_cast<uint32_t>(v));
  return absl::OkStatus();
}

absl::Status DecodeTid(absl::string_view in, std::string* out) {
  Cursor c(in);
  PGARK_ASSIGN_OR_RETURN(uint64_t block, c.Unsigned(4, "tid"));
  PGARK_ASSIGN_OR_RETURN(uint64_t offset, c.Unsigned(2, "tid"));
  PGARK_RETURN_IF_ERROR(c.ExpectEnd("tid"));
  absl::StrAppend(out, "(", block, ",", offset, ")");
  return absl::OkStatus();
}

// pg_snapshot / txid_snapshot: nxip, xmin, xmax, xip[] -> "xmin:xmax:xip,xip".
absl::Status DecodeSnapshot(absl::string_view in, std::string* out) {
  Cursor c(in);
  PGARK_ASSIGN_OR_RETURN(int32_t nxip, c.I32("snapshot"));
  PGARK_ASSIGN_OR_RETURN(int64_t xmin, c.I64("snapshot"));
  PGARK_ASSIGN_OR_RETURN(int64_t xmax, c.I64("snapshot"));
  if (nxip < 0 || static_cast<size_t>(nxip) * 8 != c.remaining()) return Malformed("snapshot");
  absl::StrAppend(out, static_cast<uint64_t>(xmin), ":", static_cast<uint64_t>(xmax), ":");
  for (int i = 0; i < nxip; ++i) {
    PGARK_ASSIGN_OR_RETURN(int64_t xip, c.I64("snapshot"));
    if (i > 0) out->push_back(',');
    absl::StrAppend(out, static_cast<uint64_t>(xip));
  }
  return absl::OkStatus();
}

// ---- Bit strings, network types ----------------------------------------------------

absl::Status DecodeBits(absl::string_view in, std::string* out) {
  Cursor c(in);
  PGARK_ASSIGN_OR_RETURN(int32_t bitlen, c.I32("bit"));
  if (bitlen < 0 || static_cast<size_t>((static_cast<int64_t>(bitlen) + 7) / 8) != c.remaining()) {
    return Malformed("bit string length");
  }
  out->reserve(out->size() + bitlen);
  for (int32_t i = 0; i < bitlen; ++i) {
    uint8_t byte = static_cast<uint8_t>(in[4 + i / 8]);
    out->push_back((byte >> (7 - i % 8)) & 1 ? '1' : '0');
  }
  return absl::OkStatus();
}

absl::Status DecodeMac(absl::string_view in, std::string* out, size_t bytes) {
  if (in.size() != bytes) return Malformed("macaddr length");
  for (size_t i = 0; i < bytes; ++i) {
    if (i > 0) out->push_back(':');
    absl::StrAppendFormat(out, "%02x", static_cast<uint8_t>(in[i]));
  }
  return absl::OkStatus();
}

// network_out via pg_inet_net_ntop (src/port/inet_net_ntop.c).
absl::Status DecodeInet(absl::string_view in, std::string* out) {
  Cursor c(in);
  PGARK_ASSIGN_OR_RETURN(uint8_t family, c.U8("inet"));
  PGARK_ASSIGN_OR_RETURN(uint8_t bits, c.U8("inet"));
  PGARK_ASSIGN_OR_RETURN(uint8_t is_cidr, c.U8("inet"));
  PGARK_ASSIGN_OR_RETURN(uint8_t nb, c.U8("inet"));
  PGARK_ASSIGN_OR_RETURN(absl::string_view addr, c.Bytes(nb, "inet"));
  PGARK_RETURN_IF_ERROR(c.ExpectEnd("inet"));
  auto byte = [&](int i) { return static_cast<uint8_t>(addr[i]); };
  if (family == 2) {  // PGSQL_AF_INET
    if (nb != 4 || bits > 32) return Malformed("inet (IPv4)");
    absl::StrAppend(out, byte(0), ".", byte(1), ".", byte(2), ".", byte(3));
    if (bits != 32 || is_cidr) absl::StrAppend(out, "/", bits);
    return absl::OkStatus();
  }
  if (family != 3 || nb != 16 || bits > 128) return Malformed("inet family");
  uint16_t words[8];
  for (int i = 0; i < 8; ++i) words[i] = static_cast<uint16_t>(byte(2 * i) << 8 | byte(2 * i + 1));
  // The longest run of zero words (at least two) becomes "::".
  int best_base = -1, best_len = 0, cur_base = -1, cur_len = 0;
  for (int i = 0; i < 8; ++i) {
    if (words[i] == 0) {
      if (cur_base == -1) {
        cur_base = i;
        cur_len = 1;
      } else {
        ++cur_len;
      }
    } else if (cur_base != -1) {
      if (best_base == -1 || cur_len > best_len) best_base = cur_base, best_len = cur_len;
      cur_base = -1;
    }
  }
  if (cur_base != -1 && (best_base == -1 || cur_len > best_len)) {
    best_base = cur_base;
    best_len = cur_len;
  }
  if (best_base != -1 && best_len < 2) best_base = -1;
  for (int i = 0; i < 8; ++i) {
    if (best_base != -1 && i >= best_base && i < best_base + best_len) {
      if (i == best_base) out->push_back(':');
      continue;
    }
    if (i != 0) out->push_back(':');
    if (i == 6 && best_base == 0 &&
        (best_len == 6 || (best_len == 7 && words[7] != 0x0001) ||
         (best_len == 5 && words[5] == 0xffff))) {
      absl::StrAppend(out, byte(12), ".", byte(13), ".", byte(14), ".", byte(15));
      break;
    }
    absl::StrAppendFormat(out, "%x", words[i]);
  }
  if (best_base != -1 && best_base + best_len == 8) out->push_back(':');
  if (bits != 128 || is_cidr) absl::StrAppend(out, "/", bits);
  return absl::OkStatus();
}

// ---- Geometry (geo_ops.c; coordinates printed like float8out) -----------------------

absl::Status AppendPoint(Cursor& c, std::string* out) {
  PGARK_ASSIGN_OR_RETURN(double x, c.F64("point"));
  PGARK_ASSIGN_OR_RETURN(double y, c.F64("point"));
  out->push_back('(');
  AppendFloat8(x, out);
  out->push_back(',');
  AppendFloat8(y, out);
  out->push_back(')');
  return absl::OkStatus();
}

absl::Status AppendPoints(Cursor& c, int32_t n, std::string* out) {
  if (n < 0 || static_cast<size_t>(n) * 16 != c.remaining()) return Malformed("point count");
  for (int32_t i = 0; i < n; ++i) {
    if (i > 0) out->push_back(',');
    PGARK_RETURN_IF_ERROR(AppendPoint(c, out));
  }
  return absl::OkStatus();
}

enum class Geo { kPoint, kLine, kLseg, kBox, kPath, kPolygon, kCircle };

absl::Status DecodeGeometry(absl::string_view in, std::string* out, Geo kind) {
  Cursor c(in);
  switch (kind) {
    case Geo::kPoint:
      PGARK_RETURN_IF_ERROR(AppendPoint(c, out));
      break;
    case Geo::kLine: {
      out->push_back('{');
      for (int i = 0; i < 3; ++i) {
        PGARK_ASSIGN_OR_RETURN(double v, c.F64("line"));
        if (i > 0) out->push_back(',');
        AppendFloat8(v, out);
      }
      out->push_back('}');
      break;
    }
    case Geo::kLseg:
      out->push_back('[');
      PGARK_RETURN_IF_ERROR(AppendPoints(c, 2, out));
      out->push_back(']');
      break;
    case Geo::kBox:
      PGARK_RETURN_IF_ERROR(AppendPoints(c, 2, out));
      break;
    case Geo::kPath: {
      PGARK_ASSIGN_OR_RETURN(uint8_t closed, c.U8("path"));
      PGARK_ASSIGN_OR_RETURN(int32_t n, c.I32("path"));
      out->push_back(closed ? '(' : '[');
      PGARK_RETURN_IF_ERROR(AppendPoints(c, n, out));
      out->push_back(closed ? ')' : ']');
      break;
    }
    case Geo::kPolygon: {
      PGARK_ASSIGN_OR_RETURN(int32_t n, c.I32("polygon"));
      out->push_back('(');
      PGARK_RETURN_IF_ERROR(AppendPoints(c, n, out));
      out->push_back(')');
      break;
    }
    case Geo::kCircle: {
      out->push_back('<');
      PGARK_RETURN_IF_ERROR(AppendPoint(c, out));
      PGARK_ASSIGN_OR_RETURN(double r, c.F64("circle"));
      out->push_back(',');
      AppendFloat8(r, out);
      out->push_back('>');
      break;
    }
  }
  return c.ExpectEnd("geometric value");
}

// ---- Date and time (datetime.c, timestamp.c; DateStyle ISO, TimeZone UTC) -----------

constexpr int64_t kUsecsPerDay = 86400000000LL;
constexpr int32_t kPostgresEpochJdate = 2451545;

// j2date from datetime.c.
void JulianToDate(int jd, int* year, int* month, int* day) {
  unsigned int julian = static_cast<unsigned int>(jd);
  julian += 32044;
  unsigned int quad = julian / 146097;
  unsigned int extra = (julian - quad * 146097) * 4 + 3;
  julian += 60 + quad * 3 + extra / 146097;
  quad = julian / 1461;
  julian -= quad * 1461;
  int y = static_cast<int>(julian * 4 / 1461);
  julian = ((y != 0) ? ((julian + 305) % 365) : ((julian + 306) % 366)) + 123;
  y += static_cast<int>(quad * 4);
  *year = y - 4800;
  quad = julian * 2141 / 65536;
  *day = static_cast<int>(julian - 7834 * quad / 256);
  *month = static_cast<int>((quad + 10) % 12 + 1);
}

void AppendYmd(int year, int month, int day, std::string* out) {
  absl::StrAppendFormat(out, "%04d-%02d-%02d", year > 0 ? year : -(year - 1), month, day);
}

// AppendSeconds: zero-padded seconds and up to six fraction digits, trailing zeros cut.
void AppendSeconds(int64_t sec, int64_t fsec, std::string* out) {
  absl::StrAppendFormat(out, "%02d", sec < 0 ? -sec : sec);
  if (fsec != 0) {
    std::string frac = absl::StrFormat("%06d", fsec < 0 ? -fsec : fsec);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    absl::StrAppend(out, ".", frac);
  }
}

// Microseconds within a day -> HH:MM:SS[.ffffff].
void AppendTimeOfDay(int64_t time, std::string* out) {
  int64_t hour = time / 3600000000LL;
  time -= hour * 3600000000LL;
  int64_t min = time / 60000000LL;
  time -= min * 60000000LL;
  int64_t sec = time / 1000000;
  absl::StrAppendFormat(out, "%02d:%02d:", hour, min);
  AppendSeconds(sec, time - sec * 1000000, out);
}

// EncodeTimezone: `tz` is seconds west of UTC.
void AppendTimezone(int32_t tz, std::string* out) {
  int sec = tz < 0 ? -tz : tz;
  int min = sec / 60;
  sec -= min * 60;
  int hour = min / 60;
  min -= hour * 60;
  out->push_back(tz <= 0 ? '+' : '-');
  if (sec != 0) {
    absl::StrAppendFormat(out, "%02d:%02d:%02d", hour, min, sec);
  } else if (min != 0) {
    absl::StrAppendFormat(out, "%02d:%02d", hour, min);
  } else {
    absl::StrAppendFormat(out, "%02d", hour);
  }
}

absl::Status DecodeDate(absl::string_view in, std::string* out) {
  Cursor c(in);
  PGARK_ASSIGN_OR_RETURN(int32_t days, c.I32("date"));
  PGARK_RETURN_IF_ERROR(c.ExpectEnd("date"));
  if (days == INT32_MIN) {
    out->append("-infinity");
  } else if (days == INT32_MAX) {
    out->append("infinity");
  } else {
    int64_t jd = static_cast<int64_t>(days) + kPostgresEpochJdate;
    // DATE_END_JULIAN (5874898-01-01) is the first day PostgreSQL cannot store.
    if (jd < 0 || jd >= 2147483494) return Malformed("date out of range");
    int y, m, d;
    JulianToDate(static_cast<int>(jd), &y, &m, &d);
    AppendYmd(y, m, d, out);
    if (y <= 0) out->append(" BC");
  }
  return absl::OkStatus();
}

absl::Status DecodeTimestamp(absl::string_view in, std::string* out, bool with_tz) {
  Cursor c(in);
  PGARK_ASSIGN_OR_RETURN(int64_t ts, c.I64("timestamp"));
  PGARK_RETURN_IF_ERROR(c.ExpectEnd("timestamp"));
  if (ts == INT64_MIN) {
    out->append("-infinity");
    return absl::OkStatus();
  }
  if (ts == INT64_MAX) {
    out->append("infinity");
    return absl::OkStatus();
  }
  // MIN_TIMESTAMP (4714-11-24 BC) and END_TIMESTAMP (294277-01-01): nothing else is valid.
  if (ts < -211813488000000000LL || ts >= 9223371331200000000LL) {
    return Malformed("timestamp out of range");
  }
  int64_t date = ts / kUsecsPerDay;
  int64_t time = ts - date * kUsecsPerDay;
  if (time < 0) {
    time += kUsecsPerDay;
    date -= 1;
  }
  date += kPostgresEpochJdate;
  if (date < 0 || date > INT32_MAX) return Malformed("timestamp out of range");
  int y, m, d;
  JulianToDate(static_cast<int>(date), &y, &m, &d);
  AppendYmd(y, m, d, out);
  out->push_back(' ');
  AppendTimeOfDay(time, out);
  if (with_tz) AppendTimezone(0, out);
  if (y <= 0) out->append(" BC");
  return absl::OkStatus();
}

absl::Status DecodeTime(absl::string_view in, std::string* out, bool with_tz) {
  Cursor c(in);
  PGARK_ASSIGN_OR_RETURN(int64_t time, c.I64("time"));
  if (time < 0 || time > kUsecsPerDay) return Malformed("time out of range");
  AppendTimeOfDay(time, out);
  if (with_tz) {
    PGARK_ASSIGN_OR_RETURN(int32_t zone, c.I32("timetz"));
    // timetz_recv's check (TZDISP_LIMIT, 16 hours): the server never sends more.
    constexpr int32_t kZoneLimit = 16 * 3600;
    if (zone <= -kZoneLimit || zone >= kZoneLimit) return Malformed("time zone displacement out of range");
    AppendTimezone(zone, out);
  }
  return c.ExpectEnd("time");
}

// interval_out with IntervalStyle postgres (EncodeInterval, AddPostgresIntPart).
absl::Status DecodeInterval(absl::string_view in, std::string* out) {
  Cursor c(in);
  PGARK_ASSIGN_OR_RETURN(int64_t time, c.I64("interval"));
  PGARK_ASSIGN_OR_RETURN(int32_t day, c.I32("interval"));
  PGARK_ASSIGN_OR_RETURN(int32_t month, c.I32("interval"));
  PGARK_RETURN_IF_ERROR(c.ExpectEnd("interval"));
  // PostgreSQL 17+ infinite intervals.
  if (month == INT32_MAX && day == INT32_MAX && time == INT64_MAX) {
    out->append("infinity");
    return absl::OkStatus();
  }
  if (month == INT32_MIN && day == INT32_MIN && time == INT64_MIN) {
    out->append("-infinity");
    return absl::OkStatus();
  }
  int64_t year = month / 12;
  int64_t mon = month % 12;
  int64_t hour = time / 3600000000LL;
  time -= hour * 3600000000LL;
  int64_t min = time / 60000000LL;
  time -= min * 60000000LL;
  int64_t sec = time / 1000000;
  int64_t fsec = time - sec * 1000000;
  bool is_zero = true;
  bool is_before = false;
  auto add_part = [&](int64_t value, absl::string_view unit) {
    if (value == 0) return;
    absl::StrAppend(out, is_zero ? "" : " ", (is_before && value > 0) ? "+" : "", value, " ",
                    unit, value != 1 ? "s" : "");
    is_before = value < 0;
    is_zero = false;
  };
  add_part(year, "year");
  add_part(mon, "mon");
  add_part(day, "day");
  if (is_zero || hour != 0 || min != 0 || sec != 0 || fsec != 0) {
    bool minus = hour < 0 || min < 0 || sec < 0 || fsec < 0;
    absl::StrAppend(out, is_zero ? "" : " ", minus ? "-" : (is_before ? "+" : ""));
    absl::StrAppendFormat(out, "%02d:%02d:", hour < 0 ? -hour : hour, min < 0 ? -min : min);
    AppendSeconds(sec, fsec, out);
  }
  return absl::OkStatus();
}

// ---- Text search (tsvector.c, tsquery.c) ----------------------------------------------

// A lexeme or operand in single quotes, with ' and \ doubled.
void AppendQuotedLexeme(absl::string_view lexeme, std::string* out) {
  out->push_back('\'');
  for (char ch : lexeme) {
    if (ch == '\'' || ch == '\\') out->push_back(ch);
    out->push_back(ch);
  }
  out->push_back('\'');
}

absl::Status DecodeTsvector(absl::string_view in, std::string* out) {
  Cursor c(in);
  PGARK_ASSIGN_OR_RETURN(int32_t count, c.I32("tsvector"));
  if (count < 0 || static_cast<size_t>(count) > c.remaining()) return Malformed("tsvector size");
  for (int32_t i = 0; i < count; ++i) {
    PGARK_ASSIGN_OR_RETURN(absl::string_view lexeme, c.CString("tsvector lexeme"));
    PGARK_ASSIGN_OR_RETURN(uint64_t npos, c.Unsigned(2, "tsvector"));
    if (i > 0) out->push_back(' ');
    AppendQuotedLexeme(lexeme, out);
    if (npos > 0) out->push_back(':');
    for (uint64_t p = 0; p < npos; ++p) {
      PGARK_ASSIGN_OR_RETURN(uint64_t wep, c.Unsigned(2, "tsvector position"));
      absl::StrAppend(out, wep & 0x3fff);
      static const char* const kWeights[] = {"", "C", "B", "A"};
      out->append(kWeights[wep >> 14]);
      if (p + 1 < npos) out->push_back(',');
    }
  }
  return c.ExpectEnd("tsvector");
}

struct TsQueryNode {
  uint8_t type = 0;  // 1 operand, 2 operator
  uint8_t weight = 0;
  bool prefix = false;
  std::string operand;
  uint8_t oper = 0;  // 1 NOT, 2 AND, 3 OR, 4 PHRASE
  int16_t distance = 0;
  int right = -1, left = -1;  // child indexes (NOT uses right)
};

int TsPriority(uint8_t oper) {
  static const int kPriority[] = {4, 2, 1, 3};  // NOT, AND, OR, PHRASE
  return kPriority[oper - 1];
}

// Items are stored operator first, then its right operand's subtree, then its left's.
absl::StatusOr<int> ParseTsQuery(std::vector<TsQueryNode>& items, int* next, int depth) {
  if (depth > 1000) return Malformed("tsquery nested too deeply");
  if (*next >= static_cast<int>(items.size())) return Malformed("tsquery is missing an operand");
  int self = (*next)++;
  if (items[self].type == 2) {
    PGARK_ASSIGN_OR_RETURN(items[self].right, ParseTsQuery(items, next, depth + 1));
    if (items[self].oper != 1) {
      PGARK_ASSIGN_OR_RETURN(items[self].left, ParseTsQuery(items, next, depth + 1));
    }
  }
  return self;
}

void AppendTsQuery(const std::vector<TsQueryNode>& items, int i, int parent_priority,
                   bool right_phrase, std::string* out) {
  const TsQueryNode& n = items[i];
  if (n.type == 1) {
    AppendQuotedLexeme(n.operand, out);
    if (n.weight || n.prefix) {
      out->push_back(':');
      if (n.prefix) out->push_back('*');
      if (n.weight & 8) out->push_back('A');
      if (n.weight & 4) out->push_back('B');
      if (n.weight & 2) out->push_back('C');
      if (n.weight & 1) out->push_back('D');
    }
    return;
  }
  int priority = TsPriority(n.oper);
  if (n.oper == 1) {
    if (priority < parent_priority) out->append("( ");
    out->push_back('!');
    AppendTsQuery(items, n.right, priority, false, out);
    if (priority < parent_priority) out->append(" )");
    return;
  }
  bool paren = priority < parent_priority || (n.oper == 4 && right_phrase);
  if (paren) out->append("( ");
  std::string right;
  AppendTsQuery(items, n.right, priority, n.oper == 4, &right);
  AppendTsQuery(items, n.left, priority, false, out);
  if (n.oper == 3) {
    absl::StrAppend(out, " | ", right);
  } else if (n.oper == 2) {
    absl::StrAppend(out, " & ", right);
  } else if (n.distance != 1) {
    absl::StrAppend(out, " <", n.distance, "> ", right);
  } else {
    absl::StrAppend(out, " <-> ", right);
  }
  if (paren) out->append(" )");
}

absl::Status DecodeTsquery(absl::string_view in, std::string* out) {
  Cursor c(in);
  PGARK_ASSIGN_OR_RETURN(int32_t size, c.I32("tsquery"));
  if (size < 0 || static_cast<size_t>(size) > c.remaining()) return Malformed("tsquery size");
  std::vector<TsQueryNode> items(size);
  for (TsQueryNode& n : items) {
    PGARK_ASSIGN_OR_RETURN(n.type, c.U8("tsquery"));
    if (n.type == 1) {
      PGARK_ASSIGN_OR_RETURN(n.weight, c.U8("tsquery"));
      PGARK_ASSIGN_OR_RETURN(uint8_t prefix, c.U8("tsquery"));
      n.prefix = prefix != 0;
      PGARK_ASSIGN_OR_RETURN(absl::string_view operand, c.CString("tsquery operand"));
      n.operand = std::string(operand);
    } else if (n.type == 2) {
      PGARK_ASSIGN_OR_RETURN(n.oper, c.U8("tsquery"));
      if (n.oper < 1 || n.oper > 4) return Malformed("tsquery operator");
      if (n.oper == 4) {
        PGARK_ASSIGN_OR_RETURN(n.distance, c.I16("tsquery"));
      }
    } else {
      return Malformed("tsquery item type");
    }
  }
  PGARK_RETURN_IF_ERROR(c.ExpectEnd("tsquery"));
  if (size == 0) return absl::OkStatus();
  int next = 0;
  PGARK_ASSIGN_OR_RETURN(int root, ParseTsQuery(items, &next, 0));
  if (root != 0 || next != size) return Malformed("tsquery has unused items");
  AppendTsQuery(items, 0, -1, false, out);
  return absl::OkStatus();
}

// ---- The decoder tree -----------------------------------------------------------------

using BaseFn = absl::Status (*)(absl::string_view, std::string*);

struct BaseEntry {
  uint32_t oid;
  const char* name;
  BaseFn fn;
};

absl::Status CharFn15(absl::string_view in, std::string* out) { return DecodeChar(in, out, true); }
absl::Status CharFnOld(absl::string_view in, std::string* out) { return DecodeChar(in, out, false); }

// Every built-in base type with a decoder, by OID (pg_type.dat).
const BaseEntry kBaseTypes[] = {
    {16, "boolean", DecodeBool},
    {17, "bytea", DecodeBytea},
    {18, "\"char\"", CharFn15},
    {19, "name", DecodeText},
    {20, "bigint", DecodeInteger<8, true>},
    {21, "smallint", DecodeInteger<2, true>},
    {23, "integer", DecodeInteger<4, true>},
    {25, "text", DecodeText},
    {26, "oid", DecodeInteger<4, false>},
    {27, "tid", DecodeTid},
    {28, "xid", DecodeInteger<4, false>},
    {29, "cid", DecodeInteger<4, false>},
    {114, "json", DecodeText},
    {142, "xml", DecodeText},
    {600, "point", [](absl::string_view in, std::string* out) { return DecodeGeometry(in, out, Geo::kPoint); }},
    {601, "lseg", [](absl::string_view in, std::string* out) { return DecodeGeometry(in, out, Geo::kLseg); }},
    {602, "path", [](absl::string_view in, std::string* out) { return DecodeGeometry(in, out, Geo::kPath); }},
    {603, "box", [](absl::string_view in, std::string* out) { return DecodeGeometry(in, out, Geo::kBox); }},
    {604, "polygon", [](absl::string_view in, std::string* out) { return DecodeGeometry(in, out, Geo::kPolygon); }},
    {628, "line", [](absl::string_view in, std::string* out) { return DecodeGeometry(in, out, Geo::kLine); }},
    {650, "cidr", DecodeInet},
    {700, "real", DecodeFloat4},
    {701, "double precision", DecodeFloat8},
    {718, "circle", [](absl::string_view in, std::string* out) { return DecodeGeometry(in, out, Geo::kCircle); }},
    {774, "macaddr8", [](absl::string_view in, std::string* out) { return DecodeMac(in, out, 8); }},
    {790, "money", DecodeMoney},
    {829, "macaddr", [](absl::string_view in, std::string* out) { return DecodeMac(in, out, 6); }},
    {869, "inet", DecodeInet},
    {1042, "character", DecodeText},
    {1043, "character varying", DecodeText},
    {1082, "date", DecodeDate},
    {1083, "time", [](absl::string_view in, std::string* out) { return DecodeTime(in, out, false); }},
    {1114, "timestamp", [](absl::string_view in, std::string* out) { return DecodeTimestamp(in, out, false); }},
    {1184, "timestamptz", [](absl::string_view in, std::string* out) { return DecodeTimestamp(in, out, true); }},
    {1186, "interval", DecodeInterval},
    {1266, "timetz", [](absl::string_view in, std::string* out) { return DecodeTime(in, out, true); }},
    {1560, "bit", DecodeBits},
    {1562, "bit varying", DecodeBits},
    {1700, "numeric", DecodeNumeric},
    {1790, "refcursor", DecodeText},
    {2950, "uuid", DecodeUuid},
    {2970, "txid_snapshot", DecodeSnapshot},
    {3220, "pg_lsn", DecodePgLsn},
    {3614, "tsvector", DecodeTsvector},
    {3615, "tsquery", DecodeTsquery},
    {3802, "jsonb", DecodeVersionedText},
    {4072, "jsonpath", DecodeVersionedText},
    {5038, "pg_snapshot", DecodeSnapshot},
    {5069, "xid8", DecodeInteger<8, false>},
};

// Built-in arrays (typarray of the base types above), ranges and multiranges.
struct ContainerEntry {
  uint32_t oid;
  DecodeType::Kind kind;
  uint32_t child;
  const char* name;
};
const ContainerEntry kBuiltinContainers[] = {
    {1000, DecodeType::Kind::kArray, 16, "boolean[]"},
    {1001, DecodeType::Kind::kArray, 17, "bytea[]"},
    {1002, DecodeType::Kind::kArray, 18, "\"char\"[]"},
    {1003, DecodeType::Kind::kArray, 19, "name[]"},
    {1016, DecodeType::Kind::kArray, 20, "bigint[]"},
    {1005, DecodeType::Kind::kArray, 21, "smallint[]"},
    {1007, DecodeType::Kind::kArray, 23, "integer[]"},
    {1009, DecodeType::Kind::kArray, 25, "text[]"},
    {1028, DecodeType::Kind::kArray, 26, "oid[]"},
    {1010, DecodeType::Kind::kArray, 27, "tid[]"},
    {1011, DecodeType::Kind::kArray, 28, "xid[]"},
    {1012, DecodeType::Kind::kArray, 29, "cid[]"},
    {199, DecodeType::Kind::kArray, 114, "json[]"},
    {143, DecodeType::Kind::kArray, 142, "xml[]"},
    {1017, DecodeType::Kind::kArray, 600, "point[]"},
    {1018, DecodeType::Kind::kArray, 601, "lseg[]"},
    {1019, DecodeType::Kind::kArray, 602, "path[]"},
    {1020, DecodeType::Kind::kArray, 603, "box[]"},
    {1027, DecodeType::Kind::kArray, 604, "polygon[]"},
    {629, DecodeType::Kind::kArray, 628, "line[]"},
    {651, DecodeType::Kind::kArray, 650, "cidr[]"},
    {1021, DecodeType::Kind::kArray, 700, "real[]"},
    {1022, DecodeType::Kind::kArray, 701, "double precision[]"},
    {719, DecodeType::Kind::kArray, 718, "circle[]"},
    {775, DecodeType::Kind::kArray, 774, "macaddr8[]"},
    {791, DecodeType::Kind::kArray, 790, "money[]"},
    {1040, DecodeType::Kind::kArray, 829, "macaddr[]"},
    {1041, DecodeType::Kind::kArray, 869, "inet[]"},
    {1014, DecodeType::Kind::kArray, 1042, "character[]"},
    {1015, DecodeType::Kind::kArray, 1043, "character varying[]"},
    {1182, DecodeType::Kind::kArray, 1082, "date[]"},
    {1183, DecodeType::Kind::kArray, 1083, "time[]"},
    {1115, DecodeType::Kind::kArray, 1114, "timestamp[]"},
    {1185, DecodeType::Kind::kArray, 1184, "timestamptz[]"},
    {1187, DecodeType::Kind::kArray, 1186, "interval[]"},
    {1270, DecodeType::Kind::kArray, 1266, "timetz[]"},
    {1561, DecodeType::Kind::kArray, 1560, "bit[]"},
    {1563, DecodeType::Kind::kArray, 1562, "bit varying[]"},
    {1231, DecodeType::Kind::kArray, 1700, "numeric[]"},
    {2201, DecodeType::Kind::kArray, 1790, "refcursor[]"},
    {2951, DecodeType::Kind::kArray, 2950, "uuid[]"},
    {2949, DecodeType::Kind::kArray, 2970, "txid_snapshot[]"},
    {3221, DecodeType::Kind::kArray, 3220, "pg_lsn[]"},
    {3643, DecodeType::Kind::kArray, 3614, "tsvector[]"},
    {3645, DecodeType::Kind::kArray, 3615, "tsquery[]"},
    {3807, DecodeType::Kind::kArray, 3802, "jsonb[]"},
    {4073, DecodeType::Kind::kArray, 4072, "jsonpath[]"},
    {5039, DecodeType::Kind::kArray, 5038, "pg_snapshot[]"},
    {271, DecodeType::Kind::kArray, 5069, "xid8[]"},
    {3904, DecodeType::Kind::kRange, 23, "int4range"},
    {3926, DecodeType::Kind::kRange, 20, "int8range"},
    {3906, DecodeType::Kind::kRange, 1700, "numrange"},
    {3908, DecodeType::Kind::kRange, 1114, "tsrange"},
    {3910, DecodeType::Kind::kRange, 1184, "tstzrange"},
    {3912, DecodeType::Kind::kRange, 1082, "daterange"},
    {3905, DecodeType::Kind::kArray, 3904, "int4range[]"},
    {3927, DecodeType::Kind::kArray, 3926, "int8range[]"},
    {3907, DecodeType::Kind::kArray, 3906, "numrange[]"},
    {3909, DecodeType::Kind::kArray, 3908, "tsrange[]"},
    {3911, DecodeType::Kind::kArray, 3910, "tstzrange[]"},
    {3913, DecodeType::Kind::kArray, 3912, "daterange[]"},
    {4451, DecodeType::Kind::kMultirange, 3904, "int4multirange"},
    {4536, DecodeType::Kind::kMultirange, 3926, "int8multirange"},
    {4532, DecodeType::Kind::kMultirange, 3906, "nummultirange"},
    {4533, DecodeType::Kind::kMultirange, 3908, "tsmultirange"},
    {4534, DecodeType::Kind::kMultirange, 3910, "tstzmultirange"},
    {4535, DecodeType::Kind::kMultirange, 3912, "datemultirange"},
    {6150, DecodeType::Kind::kArray, 4451, "int4multirange[]"},
    {6157, DecodeType::Kind::kArray, 4536, "int8multirange[]"},
    {6151, DecodeType::Kind::kArray, 4532, "nummultirange[]"},
    {6152, DecodeType::Kind::kArray, 4533, "tsmultirange[]"},
    {6153, DecodeType::Kind::kArray, 4534, "tstzmultirange[]"},
    {6155, DecodeType::Kind::kArray, 4535, "datemultirange[]"},
};

const BaseEntry* FindBase(uint32_t oid) {
  for (const BaseEntry& e : kBaseTypes) {
    if (e.oid == oid) return &e;
  }
  return nullptr;
}

const std::map<uint32_t, DecodeType>& BuiltinTypes() {
  static const auto* types = [] {
    auto* m = new std::map<uint32_t, DecodeType>;
    for (const BaseEntry& e : kBaseTypes) {
      (*m)[e.oid] = DecodeType{DecodeType::Kind::kBase, e.oid, e.name, {}};
    }
    // Containers refer to earlier entries (ranges before their arrays and multiranges).
    for (const ContainerEntry& e : kBuiltinContainers) {
      (*m)[e.oid] = DecodeType{e.kind, e.oid, e.name, {m->at(e.child)}};
    }
    return m;
  }();
  return *types;
}

// array_isspace / scanner_isspace: the characters C's isspace() accepts.
bool IsSpace(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

class Node : public ValueDecoder {
 public:
  DecodeType::Kind kind = DecodeType::Kind::kBase;
  uint32_t oid = 0;
  std::string name;
  BaseFn base = nullptr;
  char delimiter = ',';  // array element delimiter of this type (box: ';')
  std::vector<std::unique_ptr<Node>> children;

  absl::Status Decode(absl::string_view in, std::string* out) const override {
    switch (kind) {
      case DecodeType::Kind::kBase:
        return base(in, out);
      case DecodeType::Kind::kEnum:  // enum_send: the label
        out->append(in.data(), in.size());
        return absl::OkStatus();
      case DecodeType::Kind::kDomain:
        return children[0]->Decode(in, out);
      case DecodeType::Kind::kArray:
        return DecodeArray(in, out);
      case DecodeType::Kind::kRange:
        return DecodeRange(in, out);
      case DecodeType::Kind::kMultirange:
        return DecodeMultirange(in, out);
      case DecodeType::Kind::kComposite:
        return DecodeComposite(in, out);
    }
    return absl::InternalError("unknown decoder kind");
  }

 private:
  // array_send: ndim, has-nulls flag, element type, (length, lower bound) per dimension,
  // then each element length-prefixed. array_out quoting.
  absl::Status DecodeArray(absl::string_view in, std::string* out) const {
    Cursor c(in);
    PGARK_ASSIGN_OR_RETURN(int32_t ndim, c.I32("array"));
    PGARK_ASSIGN_OR_RETURN(int32_t flags, c.I32("array"));
    PGARK_ASSIGN_OR_RETURN(uint64_t elem_oid, c.Unsigned(4, "array"));
    if (ndim < 0 || ndim > kMaxArrayDims || (flags & ~1) != 0) return Malformed("array header");
    const Node& elem = *children[0];
    if (elem.oid != 0 && elem_oid != elem.oid) {
      return Malformed(absl::StrCat("array element type ", elem_oid, " is not ", elem.name,
                                    " (", elem.oid, ")"));
    }
    int32_t dims[kMaxArrayDims], lbounds[kMaxArrayDims];
    int64_t total = ndim > 0 ? 1 : 0;
    bool default_bounds = true;
    for (int i = 0; i < ndim; ++i) {
      PGARK_ASSIGN_OR_RETURN(dims[i], c.I32("array"));
      PGARK_ASSIGN_OR_RETURN(lbounds[i], c.I32("array"));
      if (dims[i] < 0) return Malformed("negative array dimension");
      total *= dims[i];
      // Each element takes at least its 4-byte length: bounds the count by the data.
      if (total > static_cast<int64_t>(c.remaining() / 4)) return Malformed("array size");
      if (lbounds[i] != 1) default_bounds = false;
    }
    if (total == 0) {
      PGARK_RETURN_IF_ERROR(c.ExpectEnd("array"));
      out->append("{}");
      return absl::OkStatus();
    }
    if (!default_bounds) {
      for (int i = 0; i < ndim; ++i) {
        absl::StrAppend(out, "[", lbounds[i], ":",
                        static_cast<int64_t>(lbounds[i]) + dims[i] - 1, "]");
      }
      out->push_back('=');
    }
    int64_t index[kMaxArrayDims] = {0};
    std::string value;
    for (int64_t k = 0; k < total; ++k) {
      // Open braces for every dimension that starts here.
      int opening = 0;
      for (int i = ndim - 1; i >= 0 && index[i] == 0; --i) opening = ndim - i;
      if (k > 0) out->push_back(elem.delimiter);
      out->append(static_cast<size_t>(opening), '{');
      bool is_null = false;
      PGARK_ASSIGN_OR_RETURN(absl::string_view bytes, c.LengthPrefixed(&is_null, "array element"));
      if (is_null) {
        out->append("NULL");
      } else {
        value.clear();
        PGARK_RETURN_IF_ERROR(elem.Decode(bytes, &value));
        AppendArrayElement(value, elem.delimiter, out);
      }
      // Advance the index and close the dimensions that end here.
      for (int i = ndim - 1; i >= 0; --i) {
        if (++index[i] < dims[i]) break;
        index[i] = 0;
        out->push_back('}');
      }
    }
    return c.ExpectEnd("array");
  }

  static void AppendArrayElement(const std::string& v, char delimiter, std::string* out) {
    bool quote = v.empty() || (v.size() == 4 && (v[0] == 'N' || v[0] == 'n') &&
                               (v[1] == 'U' || v[1] == 'u') && (v[2] == 'L' || v[2] == 'l') &&
                               (v[3] == 'L' || v[3] == 'l'));
    for (char ch : v) {
      if (ch == '"' || ch == '\\' || ch == '{' || ch == '}' || ch == delimiter || IsSpace(ch)) {
        quote = true;
        break;
      }
    }
    if (!quote) {
      out->append(v);
      return;
    }
    out->push_back('"');
    for (char ch : v) {
      if (ch == '"' || ch == '\\') out->push_back('\\');
      out->push_back(ch);
    }
    out->push_back('"');
  }

  // record_out / range_bound_escape: quote when empty or holding a special character,
  // doubling " and \ inside the quotes.
  static void AppendQuotedField(const std::string& v, absl::string_view specials,
                                std::string* out) {
    bool quote = v.empty();
    for (char ch : v) {
      if (specials.find(ch) != absl::string_view::npos || IsSpace(ch)) {
        quote = true;
        break;
      }
    }
    if (quote) out->push_back('"');
    for (char ch : v) {
      if (ch == '"' || ch == '\\') out->push_back(ch);
      out->push_back(ch);
    }
    if (quote) out->push_back('"');
  }

  // range_send: flags, then length-prefixed lower and upper bounds when present.
  absl::Status DecodeRange(absl::string_view in, std::string* out) const {
    Cursor c(in);
    PGARK_ASSIGN_OR_RETURN(uint8_t flags, c.U8("range"));
    if (flags & 0x01) {  // RANGE_EMPTY
      PGARK_RETURN_IF_ERROR(c.ExpectEnd("range"));
      out->append("empty");
      return absl::OkStatus();
    }
    std::string lower, upper;
    bool has_lower = !(flags & (0x08 | 0x20));  // not LB_INF, not LB_NULL
    bool has_upper = !(flags & (0x10 | 0x40));
    bool is_null = false;
    if (has_lower) {
      PGARK_ASSIGN_OR_RETURN(absl::string_view b, c.LengthPrefixed(&is_null, "range bound"));
      if (is_null) return Malformed("range bound is NULL");
      PGARK_RETURN_IF_ERROR(children[0]->Decode(b, &lower));
    }
    if (has_upper) {
      PGARK_ASSIGN_OR_RETURN(absl::string_view b, c.LengthPrefixed(&is_null, "range bound"));
      if (is_null) return Malformed("range bound is NULL");
      PGARK_RETURN_IF_ERROR(children[0]->Decode(b, &upper));
    }
    PGARK_RETURN_IF_ERROR(c.ExpectEnd("range"));
    constexpr absl::string_view kSpecials = "\"\\()[],";
    out->push_back((flags & 0x02) ? '[' : '(');
    if (has_lower) AppendQuotedField(lower, kSpecials, out);
    out->push_back(',');
    if (has_upper) AppendQuotedField(upper, kSpecials, out);
    out->push_back((flags & 0x04) ? ']' : ')');
    return absl::OkStatus();
  }

  // multirange_send: count, then each range length-prefixed.
  absl::Status DecodeMultirange(absl::string_view in, std::string* out) const {
    Cursor c(in);
    PGARK_ASSIGN_OR_RETURN(int32_t count, c.I32("multirange"));
    if (count < 0 || static_cast<size_t>(count) > c.remaining() / 4) {
      return Malformed("multirange count");
    }
    out->push_back('{');
    for (int32_t i = 0; i < count; ++i) {
      bool is_null = false;
      PGARK_ASSIGN_OR_RETURN(absl::string_view b, c.LengthPrefixed(&is_null, "multirange"));
      if (is_null) return Malformed("multirange member is NULL");
      if (i > 0) out->push_back(',');
      PGARK_RETURN_IF_ERROR(children[0]->Decode(b, out));
    }
    out->push_back('}');
    return c.ExpectEnd("multirange");
  }

  // record_send: field count, then (type oid, length-prefixed value) per field.
  absl::Status DecodeComposite(absl::string_view in, std::string* out) const {
    Cursor c(in);
    PGARK_ASSIGN_OR_RETURN(int32_t nfields, c.I32("composite"));
    if (nfields != static_cast<int32_t>(children.size())) {
      return Malformed(absl::StrCat("composite ", name, " has ", nfields, " fields, expected ",
                                    children.size()));
    }
    out->push_back('(');
    std::string value;
    for (int32_t i = 0; i < nfields; ++i) {
      PGARK_ASSIGN_OR_RETURN(uint64_t field_oid, c.Unsigned(4, "composite"));
      const Node& field = *children[i];
      if (field.oid != 0 && field_oid != field.oid) {
        return Malformed(absl::StrCat("composite ", name, " field ", i + 1, " has type ",
                                      field_oid, ", expected ", field.name));
      }
      bool is_null = false;
      PGARK_ASSIGN_OR_RETURN(absl::string_view b, c.LengthPrefixed(&is_null, "composite field"));
      if (i > 0) out->push_back(',');
      if (is_null) continue;
      value.clear();
      PGARK_RETURN_IF_ERROR(field.Decode(b, &value));
      AppendQuotedField(value, "\"\\(),", out);
    }
    out->push_back(')');
    return c.ExpectEnd("composite");
  }
};

absl::StatusOr<std::unique_ptr<Node>> Build(const DecodeType& type, const DecodeOptions& options,
                                            int depth) {
  if (depth > kMaxTypeDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("type ", type.name, " is nested more than ", kMaxTypeDepth, " levels"));
  }
  auto node = std::make_unique<Node>();
  node->kind = type.kind;
  node->oid = type.oid;
  node->name = type.name.empty() ? absl::StrCat("oid ", type.oid) : type.name;
  size_t want_children = 1;
  switch (type.kind) {
    case DecodeType::Kind::kBase: {
      want_children = 0;
      const BaseEntry* entry = type.oid < 10000 ? FindBase(type.oid) : nullptr;
      if (entry == nullptr) {
        return absl::UnimplementedError(absl::StrCat(
            "no binary-to-text decoder for type ", node->name, " (oid ", type.oid, ")"));
      }
      node->base = entry->fn;
      if (type.oid == 18 && options.server_version < 150000) node->base = CharFnOld;
      if (type.oid == 603) node->delimiter = ';';
      break;
    }
    case DecodeType::Kind::kEnum:
      want_children = 0;
      break;
    case DecodeType::Kind::kComposite:
      want_children = type.children.size();
      break;
    default:
      break;
  }
  if (type.children.size() != want_children) {
    return absl::InvalidArgumentError(
        absl::StrCat("type ", node->name, " is described with ", type.children.size(),
                     " component types, expected ", want_children));
  }
  for (const DecodeType& child : type.children) {
    PGARK_ASSIGN_OR_RETURN(auto built, Build(child, options, depth + 1));
    node->children.push_back(std::move(built));
  }
  if (type.kind == DecodeType::Kind::kDomain) node->delimiter = node->children[0]->delimiter;
  return node;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ValueDecoder>> MakeValueDecoder(const DecodeType& type,
                                                               const DecodeOptions& options) {
  PGARK_ASSIGN_OR_RETURN(auto node, Build(type, options, 0));
  return std::unique_ptr<ValueDecoder>(std::move(node));
}

const DecodeType* BuiltinDecodeType(uint32_t oid) {
  const auto& types = BuiltinTypes();
  auto it = types.find(oid);
  return it == types.end() ? nullptr : &it->second;
}

void AppendCopyTextEscaped(absl::string_view value, std::string* out) {
  size_t start = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    char ch = value[i];
    char esc;
    switch (ch) {
      case '\\': esc = '\\'; break;
      case '\b': esc = 'b'; break;
      case '\f': esc = 'f'; break;
      case '\n': esc = 'n'; break;
      case '\r': esc = 'r'; break;
      case '\t': esc = 't'; break;
      case '\v': esc = 'v'; break;
      default: continue;
    }
    out->append(value.data() + start, i - start);
    out->push_back('\\');
    out->push_back(esc);
    start = i + 1;
  }
  out->append(value.data() + start, value.size() - start);
}

// ---- BinaryCopyToText -----------------------------------------------------------------

namespace {
constexpr absl::string_view kBinarySignature("PGCOPY\n\377\r\n\0", 11);
}  // namespace

absl::StatusOr<std::unique_ptr<BinaryCopyToText>> BinaryCopyToText::Create(
    std::string table, const std::vector<DecodeColumn>& columns, const DecodeOptions& options) {
  std::unique_ptr<BinaryCopyToText> self(new BinaryCopyToText());
  self->table_ = std::move(table);
  for (const DecodeColumn& column : columns) {
    auto decoder = MakeValueDecoder(column.type, options);
    if (!decoder.ok()) {
      return absl::Status(decoder.status().code(),
                          absl::StrCat("table ", self->table_, " column ", column.name, ": ",
                                       decoder.status().message()));
    }
    self->column_names_.push_back(column.name);
    self->decoders_.push_back(*std::move(decoder));
  }
  return self;
}

absl::Status BinaryCopyToText::Feed(absl::string_view data, std::string* out) {
  if (trailer_seen_ && !data.empty()) {
    return absl::DataLossError(absl::StrCat("table ", table_, ": data after the COPY trailer"));
  }
  pending_.append(data.data(), data.size());
  return DecodeAvailable(out);
}

absl::Status BinaryCopyToText::DecodeAvailable(std::string* out) {
  absl::string_view buf(pending_);
  size_t pos = 0;
  auto fail = [&](absl::string_view what) {
    return absl::DataLossError(
        absl::StrCat("table ", table_, " row ", rows_ + 1, ": malformed binary COPY data: ", what));
  };
  auto be32 = [&](size_t at) {
    return static_cast<uint32_t>(static_cast<uint8_t>(buf[at]) << 24 |
                                 static_cast<uint8_t>(buf[at + 1]) << 16 |
                                 static_cast<uint8_t>(buf[at + 2]) << 8 |
                                 static_cast<uint8_t>(buf[at + 3]));
  };
  if (!header_done_) {
    if (buf.size() < 19) return absl::OkStatus();
    if (buf.substr(0, 11) != kBinarySignature) return fail("bad signature");
    uint32_t flags = be32(11);
    if (flags & 0xFFFF0000u & ~(1u << 16)) return fail("unknown critical header flags");
    if (flags & (1u << 16)) return fail("OIDs in binary COPY are not supported");
    uint32_t ext = be32(15);
    if (ext > (1u << 20)) return fail("header extension too long");
    if (buf.size() < 19 + static_cast<size_t>(ext)) return absl::OkStatus();
    pos = 19 + ext;
    header_done_ = true;
  }
  const int16_t ncols = static_cast<int16_t>(decoders_.size());
  while (!trailer_seen_ && buf.size() - pos >= 2) {
    int16_t nfields = static_cast<int16_t>(static_cast<uint8_t>(buf[pos]) << 8 |
                                           static_cast<uint8_t>(buf[pos + 1]));
    if (nfields == -1) {
      trailer_seen_ = true;
      pos += 2;
      break;
    }
    if (nfields != ncols) {
      return fail(absl::StrCat("tuple has ", nfields, " fields, expected ", ncols));
    }
    // Check the whole tuple is present before printing any of it.
    size_t p = pos + 2;
    bool complete = true;
    for (int i = 0; i < ncols; ++i) {
      if (buf.size() - p < 4) {
        complete = false;
        break;
      }
      int32_t len = static_cast<int32_t>(be32(p));
      p += 4;
      if (len == -1) continue;
      if (len < 0 || len > kMaxFieldBytes) {
        return fail(absl::StrCat("column ", column_names_[i], " has length ", len));
      }
      if (buf.size() - p < static_cast<size_t>(len)) {
        complete = false;
        break;
      }
      p += len;
    }
    if (!complete) break;
    p = pos + 2;
    for (int i = 0; i < ncols; ++i) {
      if (i > 0) out->push_back('\t');
      int32_t len = static_cast<int32_t>(be32(p));
      p += 4;
      if (len == -1) {
        out->append("\\N");
        continue;
      }
      scratch_.clear();
      absl::Status s = decoders_[i]->Decode(buf.substr(p, len), &scratch_);
      if (!s.ok()) {
        return absl::Status(s.code(), absl::StrCat("table ", table_, " column ", column_names_[i],
                                                   " row ", rows_ + 1, ": ", s.message()));
      }
      AppendCopyTextEscaped(scratch_, out);
      p += len;
    }
    out->push_back('\n');
    ++rows_;
    pos = p;
  }
  pending_.erase(0, pos);
  if (trailer_seen_ && !pending_.empty()) return fail("data after the COPY trailer");
  return absl::OkStatus();
}

absl::Status BinaryCopyToText::Finish() const {
  if (!header_done_ || !trailer_seen_) {
    return absl::DataLossError(
        absl::StrCat("table ", table_, ": binary COPY data ends without its trailer after ",
                     rows_, " rows"));
  }
  return absl::OkStatus();
}

}  // namespace pgark::engine
