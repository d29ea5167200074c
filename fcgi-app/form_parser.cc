// form_parser: see form_parser.h.
//
// Design notes:
//  - Everything works on std::string_view slices of the caller's buffer and
//    copies out only the decoded names and values, so a 6 MiB upload is
//    scanned once and copied once.
//  - Multipart is parsed strictly by RFC 2046/7578: delimiters and header
//    lines must end in CRLF. curl and every browser send CRLF; accepting bare
//    LF would make "\n--boundary" inside an uploaded file ambiguous. A bare-LF
//    body gets its own error message so the cause is obvious to the client.
//  - Error messages are short and fixed (or sanitized) because they end up in
//    a 400/415 response body.

#include "form_parser.h"

#include <cstddef>
#include <utility>

#include "http.h"

namespace wiki {
namespace {

constexpr size_t kMaxBoundaryLength = 70;  // RFC 2046 section 5.1.1
constexpr size_t kMaxEchoedTypeLength = 60;

constexpr char kMalformedPercent[] = "malformed percent-encoding";
constexpr char kBoundaryMissing[] = "multipart boundary missing";
constexpr char kTruncatedBody[] = "truncated multipart body";
constexpr char kNeedCrlf[] = "multipart body must use CRLF line endings";
constexpr char kMalformedHeaders[] = "malformed multipart part headers";
constexpr char kDuplicateHeader[] = "duplicate multipart part header";
constexpr char kNotFormData[] =
    "multipart part without Content-Disposition: form-data";
constexpr char kMalformedDisposition[] = "malformed Content-Disposition";
constexpr char kMissingName[] = "multipart part without a name";

bool IsOws(char c) { return c == ' ' || c == '\t'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A header parameter, e.g. `name="article"`; `name` is lowercased because
// parameter names are case-insensitive (RFC 2045 section 5.1).
struct Param {
  std::string name;
  std::string value;
};

// Parses `*( OWS ";" OWS name "=" ( token / quoted-string ) ) OWS`, the tail
// of a Content-Type or Content-Disposition value after its type. Empty
// parameters (";;", trailing ";") are tolerated because real clients emit
// them; anything else unexpected fails so that ambiguous input (say an
// unterminated quote hiding a second name=) is rejected, not guessed at.
bool ParseParams(std::string_view s, std::vector<Param>* params) {
  size_t i = 0;
  auto skip_ows = [&] {
    while (i < s.size() && IsOws(s[i])) ++i;
  };
  while (true) {
    skip_ows();
    if (i == s.size()) return true;
    if (s[i] != ';') return false;
    ++i;
    skip_ows();
    if (i == s.size() || s[i] == ';') continue;

    size_t name_start = i;
    while (i < s.size() && s[i] != '=' && s[i] != ';' && s[i] != '"' &&
           !IsOws(s[i])) {
      ++i;
    }
    Param param;
    for (char c : s.substr(name_start, i - name_start)) {
      param.name += AsciiLower(c);
    }
    skip_ows();
    if (param.name.empty() || i == s.size() || s[i] != '=') return false;
    ++i;
    skip_ows();

    if (i < s.size() && s[i] == '"') {
      // quoted-string (RFC 7230 section 3.2.6): a backslash quotes any byte.
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char c = s[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i == s.size()) return false;
          c = s[i++];
        }
        param.value += c;
      }
      if (!closed) return false;
    } else {
      size_t value_start = i;
      while (i < s.size() && s[i] != ';' && !IsOws(s[i])) {
        if (s[i] == '"' || s[i] == '\\') return false;
        ++i;
      }
      if (i == value_start) return false;
      param.value = std::string(s.substr(value_start, i - value_start));
    }
    params->push_back(std::move(param));
  }
}

// Finds the single parameter called `name` (lowercase). A repeated one is
// treated as absent: two boundaries or two names cannot both be right.
const Param* FindUniqueParam(const std::vector<Param>& params,
                             std::string_view name) {
  const Param* found = nullptr;
  for (const Param& p : params) {
    if (p.name != name) continue;
    if (found != nullptr) return nullptr;
    found = &p;
  }
  return found;
}

Result<std::string> ExtractBoundary(std::string_view content_type) {
  size_t semi = content_type.find(';');
  if (semi == std::string_view::npos) {
    return Status::InvalidArgument(kBoundaryMissing);
  }
  std::vector<Param> params;
  if (!ParseParams(content_type.substr(semi), &params)) {
    return Status::InvalidArgument(kBoundaryMissing);
  }
  const Param* boundary = FindUniqueParam(params, "boundary");
  if (boundary == nullptr || boundary->value.empty() ||
      boundary->value.size() > kMaxBoundaryLength) {
    return Status::InvalidArgument(kBoundaryMissing);
  }
  return boundary->value;
}

}  // namespace

Result<std::string> ContentTypeCharset(std::string_view content_type) {
  size_t semi = content_type.find(';');
  if (semi == std::string_view::npos) return std::string();
  std::vector<Param> params;
  if (!ParseParams(content_type.substr(semi), &params)) {
    return Status::InvalidArgument("malformed Content-Type parameters");
  }
  size_t n = 0;
  std::string charset;
  for (const Param& p : params) {
    if (p.name != "charset") continue;
    ++n;
    charset = AsciiLower(p.value);
  }
  if (n > 1) return Status::InvalidArgument("more than one charset");
  return charset;
}

namespace {

// Fills in name/filename from a Content-Disposition value.
Status ParseContentDisposition(std::string_view value, FormField* field) {
  size_t semi = value.find(';');
  std::string_view type = TrimOws(value.substr(0, semi));
  if (!EqualsIgnoreCase(type, "form-data")) {
    return Status::InvalidArgument(kNotFormData);
  }
  std::vector<Param> params;
  if (semi != std::string_view::npos &&
      !ParseParams(value.substr(semi), &params)) {
    return Status::InvalidArgument(kMalformedDisposition);
  }
  bool has_name = false;
  bool has_filename = false;
  for (Param& p : params) {
    // Unknown parameters (including RFC 5987 filename*, which RFC 7578
    // forbids senders to use) are ignored; duplicates of the two we use
    // would let a client smuggle a second name past a proxy.
    if (p.name == "name") {
      if (has_name) return Status::InvalidArgument(kMalformedDisposition);
      has_name = true;
      field->name = std::move(p.value);
    } else if (p.name == "filename") {
      if (has_filename) return Status::InvalidArgument(kMalformedDisposition);
      has_filename = true;
      field->filename = std::move(p.value);
    }
  }
  // Names are taken verbatim: HTML and curl percent-encode '"', CR and LF in
  // names, but decoding them here would make "a%22b" and "a\"b" collide.
  if (!has_name) return Status::InvalidArgument(kMissingName);
  return Status::OK();
}

// Parses one part's header section (without its final CRLFCRLF). Only
// Content-Disposition and Content-Type matter; other headers, including the
// deprecated Content-Transfer-Encoding (RFC 7578 section 4.7, never sent by
// browsers or curl), are ignored. Syntax is checked for the whole section
// before any value is interpreted, so a malformed section is always reported
// as such rather than as whatever its first line happens to lack.
Status ParsePartHeaders(std::string_view headers, FormField* field) {
  std::vector<std::pair<std::string_view, std::string_view>> lines;
  while (!headers.empty()) {
    size_t eol = headers.find("\r\n");
    std::string_view line = headers.substr(0, eol);
    headers.remove_prefix(eol == std::string_view::npos ? headers.size()
                                                        : eol + 2);
    // obs-fold and stray CR/LF are rejected rather than unfolded: no
    // multipart client folds, and a lone LF here means a bare-LF body.
    if (line.empty() || IsOws(line.front()) ||
        line.find_first_of("\r\n") != std::string_view::npos) {
      return Status::InvalidArgument(kMalformedHeaders);
    }
    size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos ||
        IsOws(line[colon - 1])) {
      return Status::InvalidArgument(kMalformedHeaders);
    }
    lines.emplace_back(line.substr(0, colon), TrimOws(line.substr(colon + 1)));
  }

  bool has_disposition = false;
  bool has_type = false;
  for (const auto& [name, value] : lines) {
    if (EqualsIgnoreCase(name, "Content-Disposition")) {
      if (has_disposition) return Status::InvalidArgument(kDuplicateHeader);
      has_disposition = true;
      Status s = ParseContentDisposition(value, field);
      if (!s.ok()) return s;
    } else if (EqualsIgnoreCase(name, "Content-Type")) {
      if (has_type) return Status::InvalidArgument(kDuplicateHeader);
      has_type = true;
      field->content_type = std::string(value);
    }
  }
  if (!has_disposition) return Status::InvalidArgument(kNotFormData);
  return Status::OK();
}

// What a "CRLF--boundary" candidate turns out to be.
enum class DelimiterKind {
  kPart,   // followed by transport padding + CRLF: a body part follows
  kClose,  // followed by "--": the close delimiter
  kNone,   // anything else, e.g. "--boundaryX": data, not a delimiter
};

// `rest` starts right after the boundary. On kPart, *consumed is the length
// of the padding and CRLF, i.e. where the part's headers start in `rest`.
// A candidate cut off by the end of the body is kNone: no delimiter can
// follow it, so the caller reports the body as truncated either way.
DelimiterKind ClassifyAfterBoundary(std::string_view rest, size_t* consumed) {
  if (rest.substr(0, 2) == "--") return DelimiterKind::kClose;
  size_t i = 0;
  while (i < rest.size() && IsOws(rest[i])) ++i;  // RFC 2046 padding
  if (rest.substr(i, 2) != "\r\n") return DelimiterKind::kNone;
  *consumed = i + 2;
  return DelimiterKind::kPart;
}

struct Delimiter {
  DelimiterKind kind;  // kNone: the body ends without another delimiter
  size_t start;        // where the delimiter (with its leading CRLF) starts
  size_t end;          // just past the CRLF ending the delimiter line
};

// Finds the first real delimiter "CRLF--boundary" at or after `from`.
// `needle` is "\r\n--" + boundary. Candidates followed by other bytes are
// content (as in Go's mime/multipart) and the search resumes right after
// their start, so the body is scanned once overall. At the very start of the
// body the leading CRLF is implied (RFC 2046: no preamble).
Delimiter FindDelimiter(std::string_view body, std::string_view needle,
                        size_t from) {
  size_t consumed = 0;
  if (from == 0 && body.substr(0, needle.size() - 2) == needle.substr(2)) {
    DelimiterKind kind =
        ClassifyAfterBoundary(body.substr(needle.size() - 2), &consumed);
    if (kind != DelimiterKind::kNone) {
      return {kind, 0, needle.size() - 2 + consumed};
    }
  }
  for (size_t pos = body.find(needle, from); pos != std::string_view::npos;
       pos = body.find(needle, pos + 1)) {
    DelimiterKind kind =
        ClassifyAfterBoundary(body.substr(pos + needle.size()), &consumed);
    if (kind != DelimiterKind::kNone) {
      return {kind, pos, pos + needle.size() + consumed};
    }
  }
  return {DelimiterKind::kNone, body.size(), body.size()};
}

Status TruncatedOrBareLf(std::string_view body, std::string_view needle) {
  // A bare-LF body never matches "\r\n--boundary", which would otherwise be
  // reported as truncated; only the error path pays for this second scan.
  std::string bare_lf(needle.substr(2));
  bare_lf += '\n';
  if (body.find(bare_lf) != std::string_view::npos) {
    return Status::InvalidArgument(kNeedCrlf);
  }
  return Status::InvalidArgument(kTruncatedBody);
}

// Printable ASCII only, so a hostile Content-Type cannot put control bytes
// or a broken UTF-8 sequence into the response.
std::string SanitizeForMessage(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kMaxEchoedTypeLength)) {
    out += (c >= 0x20 && c <= 0x7e) ? c : '?';
  }
  return out;
}

}  // namespace

const FormField* Form::Find(std::string_view name) const {
  for (const FormField& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Result<std::string> PercentDecode(std::string_view in, bool plus_as_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      int hi = i + 1 < in.size() ? HexValue(in[i + 1]) : -1;
      int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) return Status::InvalidArgument(kMalformedPercent);
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

Result<Form> ParseUrlEncoded(std::string_view body) {
  Form form;
  // Only '&' separates: ';' (an old HTML 4 suggestion) is data in WHATWG
  // URL parsing, and accepting both would split values browsers send whole.
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body.remove_prefix(amp == std::string_view::npos ? body.size() : amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    Result<std::string> name = PercentDecode(pair.substr(0, eq), true);
    if (!name.ok()) return name.status();
    Result<std::string> value = PercentDecode(raw_value, true);
    if (!value.ok()) return value.status();
    FormField field;
    field.name = std::move(*name);
    field.value = std::move(*value);
    form.fields.push_back(std::move(field));
  }
  return form;
}

Result<Form> ParseMultipart(std::string_view content_type,
                            std::string_view body) {
  // The media type itself is not checked here: ParseFormBody dispatches on
  // it, and a caller that already knows it has multipart need not repeat it.
  Result<std::string> boundary = ExtractBoundary(content_type);
  if (!boundary.ok()) return boundary.status();
  const std::string needle = "\r\n--" + *boundary;

  // Whatever precedes the first delimiter is preamble and is ignored.
  Delimiter delim = FindDelimiter(body, needle, 0);
  Form form;
  while (delim.kind == DelimiterKind::kPart) {
    size_t part_start = delim.end;
    // The part's end is found before its header terminator: a body cut
    // inside the headers is then reported as truncated, and the terminator
    // search cannot run past the part.
    delim = FindDelimiter(body, needle, part_start);
    if (delim.kind == DelimiterKind::kNone) break;
    std::string_view part = body.substr(part_start, delim.start - part_start);

    std::string_view headers;
    std::string_view content;
    if (part.substr(0, 2) == "\r\n") {  // a part with no headers at all
      content = part.substr(2);
    } else {
      size_t end = part.find("\r\n\r\n");
      if (end == std::string_view::npos) {
        return Status::InvalidArgument(kMalformedHeaders);
      }
      headers = part.substr(0, end);
      content = part.substr(end + 4);
    }
    FormField field;
    Status s = ParsePartHeaders(headers, &field);
    if (!s.ok()) return s;
    field.value = std::string(content);
    form.fields.push_back(std::move(field));
  }
  if (delim.kind == DelimiterKind::kNone) {
    return TruncatedOrBareLf(body, needle);
  }
  return form;  // after the close delimiter; the epilogue is ignored
}

Result<Form> ParseFormBody(std::string_view content_type,
                           std::string_view body) {
  std::string_view media_type = MediaType(content_type);
  if (EqualsIgnoreCase(media_type, "application/x-www-form-urlencoded")) {
    // A charset parameter is ignored: the bytes are decoded as-is and UTF-8
    // validity is checked by the caller.
    return ParseUrlEncoded(body);
  }
  if (EqualsIgnoreCase(media_type, "multipart/form-data")) {
    return ParseMultipart(content_type, body);
  }
  if (media_type.empty()) return Status::Unsupported("missing Content-Type");
  return Status::Unsupported("unsupported Content-Type: " +
                             SanitizeForMessage(media_type));
}

std::string TextareaToText(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n')
      continue;
    out += value[i];
  }
  return out;
}

}  // namespace wiki
