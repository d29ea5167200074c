#include "http.h"

namespace wiki {

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 428:
      return "Precondition Required";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 507:
      return "Insufficient Storage";
    default:
      return "Unknown";
  }
}

std::string Response::SerializeHead() const {
  std::string out;
  out.reserve(512);
  out += "Status: ";
  out += std::to_string(status);
  out += ' ';
  out += ReasonPhrase(status);
  out += "\r\n";
  for (const auto& h : headers) {
    out += h.first;
    out += ": ";
    out += h.second;
    out += "\r\n";
  }
  // 304 has no body, but HEAD reports the length the GET would have.
  if (status != 304) {
    out += "Content-Length: ";
    out += std::to_string(Body().size());
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

namespace {

// Calls f(tag) for each entity-tag in a comma-separated list; stops early
// when f returns true. Returns whether f did.
template <typename F>
bool ForEachTag(std::string_view list, F f) {
  size_t i = 0;
  while (i < list.size()) {
    while (i < list.size() &&
           (list[i] == ' ' || list[i] == '\t' || list[i] == ','))
      ++i;
    if (i >= list.size()) break;
    size_t start = i;
    if (list.compare(i, 2, "W/") == 0) i += 2;
    if (i < list.size() && list[i] == '"') {
      size_t close = list.find('"', i + 1);
      i = close == std::string_view::npos ? list.size() : close + 1;
    } else {
      while (i < list.size() && list[i] != ',') ++i;
    }
    std::string_view tag = list.substr(start, i - start);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t'))
      tag.remove_suffix(1);
    if (f(tag)) return true;
  }
  return false;
}

std::string_view Opaque(std::string_view tag) {
  if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
  return tag;
}

}  // namespace

bool IfNoneMatchMatches(std::string_view header, std::string_view etag) {
  return ForEachTag(header, [&](std::string_view tag) {
    return tag == "*" || Opaque(tag) == Opaque(etag);
  });
}

bool IfMatchMatches(std::string_view header, std::string_view etag) {
  return ForEachTag(header, [&](std::string_view tag) {
    return tag == "*" || (tag.substr(0, 2) != "W/" && tag == etag);
  });
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::string_view MediaType(std::string_view content_type) {
  return TrimOws(content_type.substr(0, content_type.find(';')));
}

Status CheckSameOrigin(std::string_view origin, std::string_view sec_fetch_site,
                       std::string_view host) {
  const Status refused = Status::Forbidden(
      "Cross-site edits are refused: edit from this site's own form.");
  if (EqualsIgnoreCase(TrimOws(sec_fetch_site), "cross-site")) return refused;
  origin = TrimOws(origin);
  if (origin.empty()) return Status::OK();
  // serialized-origin = scheme "://" host [ ":" port ] (RFC 6454); "null"
  // or anything else has no host to compare.
  const size_t sep = origin.find("://");
  if (sep == std::string_view::npos) return refused;
  const std::string_view scheme = origin.substr(0, sep);
  const std::string_view authority = origin.substr(sep + 3);
  if (!EqualsIgnoreCase(scheme, "http") && !EqualsIgnoreCase(scheme, "https"))
    return refused;
  host = TrimOws(host);
  if (host.empty() || authority.empty() || !EqualsIgnoreCase(authority, host)) {
    return refused;
  }
  return Status::OK();
}

bool AcceptsJson(std::string_view accept) {
  return accept.find("application/json") != std::string_view::npos;
}

}  // namespace wiki
