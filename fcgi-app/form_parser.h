// form_parser: decodes what browsers and curl send to the article URL.
//
//   query strings and application/x-www-form-urlencoded bodies
//   multipart/form-data bodies (RFC 7578), e.g. `curl -F article=@file`
//
// All functions are pure: they copy out of the input and keep no state, so
// they are safe to call from any thread. Malformed input is reported as
// Status::InvalidArgument with a short message (-> HTTP 400); a content type
// that is neither of the two forms is Status::Unsupported (-> HTTP 415).
#ifndef WIKI_FORM_PARSER_H_
#define WIKI_FORM_PARSER_H_

#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace wiki {

struct FormField {
  std::string name;
  std::string value;         // decoded bytes (a file part's content)
  std::string filename;      // multipart only: the part's filename, if any
  std::string content_type;  // multipart only: the part's Content-Type
};

class Form {
 public:
  std::vector<FormField> fields;  // in the order they were sent

  // First field with this name, or nullptr. The pointer is valid while the
  // Form is alive and unmodified.
  const FormField* Find(std::string_view name) const;
};

// Decodes %XX escapes; with plus_as_space, '+' becomes ' ' (form bodies and
// query strings). A '%' not followed by two hex digits is InvalidArgument.
Result<std::string> PercentDecode(std::string_view in, bool plus_as_space);

// "a=1&b=x%20y" -> {a:1, b:"x y"}. Empty pairs ("a=1&&b=2") are skipped; a
// key without '=' gets an empty value. Used for QUERY_STRING too.
Result<Form> ParseUrlEncoded(std::string_view body);

// Parses a multipart/form-data body. `content_type` is the whole header
// value, e.g. `multipart/form-data; boundary="abc"`. A missing boundary,
// missing closing delimiter (truncated body), or a part without a
// Content-Disposition name is InvalidArgument.
Result<Form> ParseMultipart(std::string_view content_type,
                            std::string_view body);

// The charset parameter of a Content-Type value, lowercased ("" if there is
// none). Malformed or repeated parameters are InvalidArgument: a charset
// that cannot be read cannot be vouched for.
Result<std::string> ContentTypeCharset(std::string_view content_type);

// Dispatches on the media type of `content_type` (case-insensitive, any
// parameters): urlencoded or multipart; anything else (including empty) is
// Status::Unsupported.
Result<Form> ParseFormBody(std::string_view content_type,
                           std::string_view body);

// A textarea's submitted value as the text the user saw: HTML's form
// submission turns every line break into CRLF; this turns each CRLF back
// into LF (a lone CR is kept).
std::string TextareaToText(std::string_view value);

}  // namespace wiki

#endif  // WIKI_FORM_PARSER_H_
