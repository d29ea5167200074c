// Unit tests for form_parser: table-driven, one CAPTURE per row so a failure
// names the input that broke.
#include "form_parser.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace wiki {
namespace {

using std::string_literals::operator""s;

// Renders bytes so that failures show CR, LF, NUL and high bytes visibly.
std::string Escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\' || c == '|') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c > 0x7e) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// One string per form, compared with ==, so a mismatch prints both whole.
std::string Describe(const std::vector<FormField>& fields) {
  std::string out;
  for (const FormField& f : fields) {
    out += "[" + Escape(f.name) + "|" + Escape(f.value) + "|" +
           Escape(f.filename) + "|" + Escape(f.content_type) + "]";
  }
  return out;
}

std::string StatusText(const Status& s) { return s.ToString(); }

FormField Field(std::string name, std::string value, std::string filename = "",
                std::string content_type = "") {
  return FormField{std::move(name), std::move(value), std::move(filename),
                   std::move(content_type)};
}

// Exactly what curl 7.88.1 sent for
//   curl -F article=@file.html -F base_revision=3 http://host/wiki/X
// (captured from the wire; file.html is one line ending in LF).
constexpr char kCurlBoundary[] = "------------------------39bd98fd64ab1b2c";
const std::string kCurlContentType =
    "multipart/form-data; boundary=------------------------39bd98fd64ab1b2c";
const std::string kCurlBody =
    "--------------------------39bd98fd64ab1b2c\r\n"
    "Content-Disposition: form-data; name=\"article\"; "
    "filename=\"file.html\"\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>Hello, <b>world</b></p>\n"
    "\r\n"
    "--------------------------39bd98fd64ab1b2c\r\n"
    "Content-Disposition: form-data; name=\"base_revision\"\r\n"
    "\r\n"
    "3\r\n"
    "--------------------------39bd98fd64ab1b2c--\r\n";

// A one-part body with boundary "xyz" and the given part value.
std::string OnePart(const std::string& value) {
  return "--xyz\r\nContent-Disposition: form-data; name=\"v\"\r\n\r\n" + value +
         "\r\n--xyz--\r\n";
}

TEST_CASE("PercentDecode") {
  struct Row {
    std::string in;
    bool plus_as_space;
    bool ok;
    std::string want;  // decoded bytes when ok
  };
  const std::vector<Row> rows = {
      {"", true, true, ""},
      {"abc", true, true, "abc"},
      {"a%20b", false, true, "a b"},
      {"%41%42", false, true, "AB"},
      {"%4a%4A%4b", false, true, "JJK"},  // hex in either case
      {"caf%C3%A9", false, true, "caf\xC3\xA9"},
      {"%c3%a9", false, true, "\xC3\xA9"},
      {"%00x", false, true, "\0x"s},  // decoded bytes may be anything
      {"%FF%fe", false, true, "\xFF\xFE"},
      {"%25", false, true, "%"},
      {"%2520", false, true, "%20"},  // decoded once, never twice
      {"a+b", true, true, "a b"},
      {"a+b", false, true, "a+b"},
      {"%2B+", true, true, "+ "},  // an escaped '+' stays a plus
      {"100%25+sure", true, true, "100% sure"},
      {"%", false, false, ""},
      {"%4", false, false, ""},
      {"%G1", false, false, ""},
      {"%1G", false, false, ""},
      {"%zz", true, false, ""},
      {"abc%", true, false, ""},
      {"abc%4", true, false, ""},
      {"% 20", true, false, ""},
      {"%%41", true, false, ""},
      {"ok%41then%", true, false, ""},
  };
  for (const Row& row : rows) {
    CAPTURE(Escape(row.in));
    CAPTURE(row.plus_as_space);
    Result<std::string> got = PercentDecode(row.in, row.plus_as_space);
    CHECK(StatusText(got.status()) ==
          (row.ok ? "OK" : "Invalid argument: malformed percent-encoding"));
    if (row.ok && got.ok()) CHECK(Escape(*got) == Escape(row.want));
  }
}

TEST_CASE("Decoders never read past the end of the view") {
  // Views cut out of a longer buffer, as when a caller slices a request:
  // the bytes after the cut would make the input look valid.
  struct Row {
    std::string buffer;
    size_t len;
  };
  const std::vector<Row> rows = {
      {"%41", 1}, {"%41", 2}, {"a=%4A", 4}, {"a=%4A&b=1", 4}};
  for (const Row& row : rows) {
    std::string_view view(row.buffer.data(), row.len);
    CAPTURE(view);
    Result<std::string> decoded = PercentDecode(view, true);
    CHECK(StatusText(decoded.status()) ==
          "Invalid argument: malformed percent-encoding");
    Result<Form> form = ParseUrlEncoded(view);
    CHECK(StatusText(form.status()) ==
          "Invalid argument: malformed percent-encoding");
  }
}

TEST_CASE("ParseUrlEncoded") {
  struct Row {
    std::string body;
    bool ok;
    std::vector<FormField> want;
  };
  const std::vector<Row> rows = {
      {"", true, {}},
      {"&", true, {}},
      {"a=1&b=x%20y", true, {Field("a", "1"), Field("b", "x y")}},
      {"a=1&&b=2", true, {Field("a", "1"), Field("b", "2")}},
      {"&a=1&", true, {Field("a", "1")}},
      {"a", true, {Field("a", "")}},
      {"a&b=2", true, {Field("a", ""), Field("b", "2")}},
      {"a=", true, {Field("a", "")}},
      {"a=&b=", true, {Field("a", ""), Field("b", "")}},
      {"=x", true, {Field("", "x")}},
      {"a=b=c", true, {Field("a", "b=c")}},  // split at the first '='
      {"q=caf%C3%A9+au+lait", true, {Field("q", "caf\xC3\xA9 au lait")}},
      {"k+1=v+1", true, {Field("k 1", "v 1")}},
      {"a%3Db=c%26d", true, {Field("a=b", "c&d")}},  // escaped separators
      {"a=1;b=2", true, {Field("a", "1;b=2")}},      // ';' is not a separator
      {"a=1&a=2", true, {Field("a", "1"), Field("a", "2")}},
      {"t=%0D%0A", true, {Field("t", "\r\n")}},
      {"a=%", false, {}},
      {"a=1&b=%zz", false, {}},
      {"%G1=x", false, {}},
      {"a%4=x", false, {}},
  };
  for (const Row& row : rows) {
    CAPTURE(row.body);
    Result<Form> got = ParseUrlEncoded(row.body);
    CHECK(StatusText(got.status()) ==
          (row.ok ? "OK" : "Invalid argument: malformed percent-encoding"));
    if (row.ok && got.ok()) CHECK(Describe(got->fields) == Describe(row.want));
  }
}

TEST_CASE("Form::Find returns the first field with that name") {
  struct Row {
    std::string body;
    std::string name;
    bool found;
    std::string want_value;
  };
  const std::vector<Row> rows = {
      {"a=1&a=2", "a", true, "1"},
      {"b=0&a=1&b=2&a=3", "a", true, "1"},
      {"b=0&a=1&b=2&a=3", "b", true, "0"},
      {"a=&a=2", "a", true, ""},  // an empty first value still wins
      {"=x&a=1", "", true, "x"},
      {"a=1", "A", false, ""},  // names are case-sensitive
      {"a=1", "b", false, ""},
      {"ab=1", "a", false, ""},  // no prefix matching
      {"", "a", false, ""},
  };
  for (const Row& row : rows) {
    CAPTURE(row.body);
    CAPTURE(row.name);
    Result<Form> form = ParseUrlEncoded(row.body);
    REQUIRE(form.ok());
    const FormField* f = form->Find(row.name);
    CHECK((f != nullptr) == row.found);
    if (f != nullptr && row.found) {
      CHECK(f->value == row.want_value);
      // The pointer must point into the form, not at a copy.
      CHECK(f >= form->fields.data());
      CHECK(f < form->fields.data() + form->fields.size());
    }
  }
}

TEST_CASE("ParseMultipart accepts well-formed bodies") {
  const std::string b70(70, 'b');
  struct Row {
    std::string what;
    std::string content_type;
    std::string body;
    std::vector<FormField> want;
  };
  const std::vector<Row> rows = {
      {"curl -F article=@file.html -F base_revision=3",
       kCurlContentType,
       kCurlBody,
       {Field("article", "<p>Hello, <b>world</b></p>\n", "file.html",
              "text/html"),
        Field("base_revision", "3")}},
      {"unquoted boundary",
       "multipart/form-data; boundary=xyz",
       OnePart("1"),
       {Field("v", "1")}},
      {"quoted boundary with a space",
       "multipart/form-data; boundary=\"simple boundary\"",
       "--simple boundary\r\n"
       "Content-Disposition: form-data; name=\"a\"\r\n\r\n"
       "1\r\n--simple boundary--\r\n",
       {Field("a", "1")}},
      {"quoted boundary with an escape",
       "multipart/form-data; boundary=\"x\\\"y\"",
       "--x\"y\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
       "--x\"y--",
       {Field("a", "1")}},
      {"BOUNDARY in upper case",
       "multipart/form-data; BOUNDARY=xyz",
       OnePart("1"),
       {Field("v", "1")}},
      {"Boundary in mixed case, other params, odd spacing",
       "multipart/form-data ;charset=utf-8;  Boundary = xyz ;",
       OnePart("1"),
       {Field("v", "1")}},
      {"70-character boundary",
       "multipart/form-data; boundary=" + b70,
       "--" + b70 + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n" +
           "1\r\n--" + b70 + "--\r\n",
       {Field("a", "1")}},
      {"preamble, including a boundary not at a line start",
       "multipart/form-data; boundary=xyz",
       "This is the preamble --xyz\r\nstill preamble\r\n" + OnePart("1"),
       {Field("v", "1")}},
      {"epilogue after the close delimiter is ignored",
       "multipart/form-data; boundary=xyz",
       OnePart("1") + "epilogue\r\n--xyz\r\nContent-Disposition: junk\r\n",
       {Field("v", "1")}},
      {"close delimiter without a final CRLF",
       "multipart/form-data; boundary=xyz",
       "--xyz\r\nContent-Disposition: form-data; "
       "name=\"v\"\r\n\r\n1\r\n--xyz--",
       {Field("v", "1")}},
      {"transport padding after boundaries",
       "multipart/form-data; boundary=xyz",
       "--xyz \t\r\nContent-Disposition: form-data; name=\"v\"\r\n\r\n1\r\n"
       "--xyz  \r\nContent-Disposition: form-data; name=\"w\"\r\n\r\n2\r\n"
       "--xyz--\r\n",
       {Field("v", "1"), Field("w", "2")}},
      {"CRLFs inside a value are kept exactly",
       "multipart/form-data; boundary=xyz",
       OnePart("\r\nline1\r\n\r\nline2\r\n"),
       {Field("v", "\r\nline1\r\n\r\nline2\r\n")}},
      {"empty value",
       "multipart/form-data; boundary=xyz",
       OnePart(""),
       {Field("v", "")}},
      {"binary value",
       "multipart/form-data; boundary=xyz",
       OnePart("\0\xFF\r\0"s),
       {Field("v", "\0\xFF\r\0"s)}},
      {"boundary look-alikes without a leading CRLF-- are data",
       "multipart/form-data; boundary=xyz",
       OnePart("a--xyz b\n--xyz\n\r\n-xyz\r--xyz\r\n--xy\r\nxyz--"),
       {Field("v", "a--xyz b\n--xyz\n\r\n-xyz\r--xyz\r\n--xy\r\nxyz--")}},
      {"CRLF--boundary followed by other bytes is data",
       "multipart/form-data; boundary=xyz",
       OnePart("1\r\n--xyzz\r\n--xyz-x\r\n--xyz\rx\r\n--xyz \rx"),
       {Field("v", "1\r\n--xyzz\r\n--xyz-x\r\n--xyz\rx\r\n--xyz \rx")}},
      {"a look-alike right before the real delimiter",
       "multipart/form-data; boundary=xyz",
       OnePart("a\r\n--xyz!"),
       {Field("v", "a\r\n--xyz!")}},
      {"header and parameter names are case-insensitive",
       "multipart/form-data; boundary=xyz",
       "--xyz\r\ncontent-disposition: FORM-DATA; NAME=\"a\"; FileName=\"f.txt\""
       "\r\nCONTENT-TYPE:text/plain; charset=utf-8  \r\n\r\nhi\r\n--xyz--\r\n",
       {Field("a", "hi", "f.txt", "text/plain; charset=utf-8")}},
      {"quoted-string escapes, unquoted name, unknown headers and params",
       "multipart/form-data; boundary=xyz",
       "--xyz\r\nX-Extra: 1\r\n"
       "Content-Disposition: form-data; name=\"a\\\"b\\\\c\"; "
       "filename=\"x;y=\\\"z\\\"\"; filename*=UTF-8''q\r\n\r\n1\r\n"
       "--xyz\r\nContent-Disposition: form-data;name=plain\r\n\r\n2\r\n"
       "--xyz--\r\n",
       {Field("a\"b\\c", "1", "x;y=\"z\""), Field("plain", "2")}},
      {"repeated names keep their order",
       "multipart/form-data; boundary=xyz",
       "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nfirst\r\n"
       "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nsecond\r\n"
       "--xyz--\r\n",
       {Field("a", "first"), Field("a", "second")}},
      {"empty file input as browsers send it",
       "multipart/form-data; boundary=xyz",
       "--xyz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\"\r\n"
       "Content-Type: application/octet-stream\r\n\r\n\r\n--xyz--\r\n",
       {Field("f", "", "", "application/octet-stream")}},
      {"no parts at all",
       "multipart/form-data; boundary=xyz",
       "--xyz--\r\n",
       {}},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    Result<Form> got = ParseMultipart(row.content_type, row.body);
    CHECK(StatusText(got.status()) == "OK");
    if (got.ok()) CHECK(Describe(got->fields) == Describe(row.want));
  }
}

TEST_CASE("Form::Find on a multipart form returns the first part") {
  const std::string body =
      "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nfirst\r\n"
      "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nsecond\r\n"
      "--xyz--\r\n";
  Result<Form> form = ParseMultipart("multipart/form-data; boundary=xyz", body);
  REQUIRE(form.ok());
  const FormField* a = form->Find("a");
  REQUIRE(a != nullptr);
  CHECK(a->value == "first");
}

TEST_CASE("ParseMultipart rejects malformed bodies") {
  const std::string kCd = "Content-Disposition: form-data; name=\"a\"\r\n";
  const std::string b71(71, 'b');
  struct Row {
    std::string what;
    std::string content_type;
    std::string body;
    std::string want;  // full Status::ToString()
  };
  const std::string missing = "Invalid argument: multipart boundary missing";
  const std::string truncated = "Invalid argument: truncated multipart body";
  const std::string bad_headers =
      "Invalid argument: malformed multipart part headers";
  const std::string not_form_data =
      "Invalid argument: multipart part without Content-Disposition: "
      "form-data";
  const std::string bad_disposition =
      "Invalid argument: malformed Content-Disposition";
  const std::string no_name = "Invalid argument: multipart part without a name";
  const std::string xyz = "multipart/form-data; boundary=xyz";
  const std::vector<Row> rows = {
      {"no parameters", "multipart/form-data", OnePart("1"), missing},
      {"only a semicolon", "multipart/form-data;", OnePart("1"), missing},
      {"other parameter", "multipart/form-data; charset=utf-8", OnePart("1"),
       missing},
      {"boundary as a suffix of another name",
       "multipart/form-data; xboundary=xyz", OnePart("1"), missing},
      {"empty unquoted", "multipart/form-data; boundary=", OnePart("1"),
       missing},
      {"empty quoted", "multipart/form-data; boundary=\"\"", OnePart("1"),
       missing},
      {"unterminated quote", "multipart/form-data; boundary=\"xyz",
       OnePart("1"), missing},
      {"71 characters", "multipart/form-data; boundary=" + b71,
       "--" + b71 + "\r\n" + kCd + "\r\n1\r\n--" + b71 + "--\r\n", missing},
      {"two boundaries", "multipart/form-data; boundary=xyz; boundary=abc",
       OnePart("1"), missing},
      {"empty body", xyz, "", truncated},
      {"boundary never appears", xyz, "just some text\r\n", truncated},
      {"no close delimiter", xyz, "--xyz\r\n" + kCd + "\r\n1\r\n", truncated},
      {"bare LF line endings", xyz,
       "--xyz\nContent-Disposition: form-data; name=\"a\"\n\n1\n--xyz--\n",
       "Invalid argument: multipart body must use CRLF line endings"},
      {"part without a header terminator", xyz,
       "--xyz\r\n" + kCd + "1\r\n--xyz--\r\n", bad_headers},
      {"degenerate empty part", xyz, "--xyz\r\n\r\n--xyz--\r\n", bad_headers},
      {"header line without a colon", xyz,
       "--xyz\r\n" + kCd + "Bogus\r\n\r\n1\r\n--xyz--\r\n", bad_headers},
      {"space before the colon", xyz,
       "--xyz\r\nContent-Disposition : form-data; name=\"a\"\r\n\r\n1\r\n"
       "--xyz--\r\n",
       bad_headers},
      {"folded header line", xyz,
       "--xyz\r\nContent-Disposition: form-data;\r\n name=\"a\"\r\n\r\n1\r\n"
       "--xyz--\r\n",
       bad_headers},
      {"folded header line with a colon", xyz,
       "--xyz\r\n" + kCd + " X-Folded: 1\r\n\r\n1\r\n--xyz--\r\n", bad_headers},
      {"bare LF inside the headers", xyz,
       "--xyz\r\nX-A: 1\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
       "1\r\n--xyz--\r\n",
       bad_headers},
      {"part with no headers", xyz, "--xyz\r\n\r\n1\r\n--xyz--\r\n",
       not_form_data},
      {"no Content-Disposition", xyz,
       "--xyz\r\nContent-Type: text/plain\r\n\r\n1\r\n--xyz--\r\n",
       not_form_data},
      {"not form-data", xyz,
       "--xyz\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n1\r\n"
       "--xyz--\r\n",
       not_form_data},
      {"two Content-Dispositions", xyz,
       "--xyz\r\n" + kCd + kCd + "\r\n1\r\n--xyz--\r\n",
       "Invalid argument: duplicate multipart part header"},
      {"two Content-Types", xyz,
       "--xyz\r\n" + kCd +
           "Content-Type: text/plain\r\nContent-Type: text/html\r\n\r\n1\r\n"
           "--xyz--\r\n",
       "Invalid argument: duplicate multipart part header"},
      {"missing name", xyz,
       "--xyz\r\nContent-Disposition: form-data; filename=\"f\"\r\n\r\n1\r\n"
       "--xyz--\r\n",
       no_name},
      {"no parameters at all", xyz,
       "--xyz\r\nContent-Disposition: form-data\r\n\r\n1\r\n--xyz--\r\n",
       no_name},
      {"unterminated quoted name", xyz,
       "--xyz\r\nContent-Disposition: form-data; name=\"a\r\n\r\n1\r\n"
       "--xyz--\r\n",
       bad_disposition},
      {"backslash at the end of a quoted name", xyz,
       "--xyz\r\nContent-Disposition: form-data; name=\"a\\\r\n\r\n1\r\n"
       "--xyz--\r\n",
       bad_disposition},
      {"empty unquoted name", xyz,
       "--xyz\r\nContent-Disposition: form-data; name=\r\n\r\n1\r\n"
       "--xyz--\r\n",
       bad_disposition},
      {"two names", xyz,
       "--xyz\r\nContent-Disposition: form-data; name=\"a\"; name=\"b\"\r\n"
       "\r\n1\r\n--xyz--\r\n",
       bad_disposition},
      {"junk after a quoted name", xyz,
       "--xyz\r\nContent-Disposition: form-data; name=\"a\"x\r\n\r\n1\r\n"
       "--xyz--\r\n",
       bad_disposition},
      {"parameter without '='", xyz,
       "--xyz\r\nContent-Disposition: form-data; name\r\n\r\n1\r\n--xyz--\r\n",
       bad_disposition},
      {"a bad second part fails the whole form", xyz,
       "--xyz\r\n" + kCd +
           "\r\n1\r\n--xyz\r\nContent-Disposition: form-data\r\n\r\n2\r\n"
           "--xyz--\r\n",
       no_name},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    Result<Form> got = ParseMultipart(row.content_type, row.body);
    CHECK(StatusText(got.status()) == row.want);
  }
}

TEST_CASE("ParseMultipart reports every cut of the curl body as truncated") {
  // Sanity: the uncut body parses, so the failures below are due to the cut.
  REQUIRE(ParseMultipart(kCurlContentType, kCurlBody).ok());

  struct Row {
    std::string what;
    std::string cut_before;  // the body is cut where this first occurs
    size_t extra;            // ...plus this many bytes
  };
  const std::vector<Row> rows = {
      {"inside the first boundary line", "39bd98", 0},
      {"mid-headers of the first part", "filename=", 3},
      {"between headers and value", "<p>", 0},
      {"mid-value", "world", 2},
      {"right after the value", "</p>\n", 5},
      {"inside the CRLF before a delimiter", "</p>\n", 6},
      {"mid-headers of the second part", "base_rev", 0},
      {"right before the closing delimiter", "3\r\n", 1},
      {"inside the closing delimiter's CRLF", "3\r\n", 2},
      {"after the closing delimiter's CRLF", "3\r\n", 3},
      {"closing delimiter without its dashes", "3\r\n",
       3 + 2 + sizeof(kCurlBoundary) - 1},
      {"closing delimiter with one dash", "3\r\n",
       3 + 2 + sizeof(kCurlBoundary)},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    size_t at = kCurlBody.find(row.cut_before);
    REQUIRE(at != std::string::npos);
    std::string body = kCurlBody.substr(0, at + row.extra);
    CAPTURE(Escape(body.substr(body.size() > 20 ? body.size() - 20 : 0)));
    Result<Form> got = ParseMultipart(kCurlContentType, body);
    CHECK(StatusText(got.status()) ==
          "Invalid argument: truncated multipart body");
  }

  // And every other prefix, too: none may parse or report something else.
  // The shortest complete body stops after "--boundary--", before its CRLF.
  const size_t full = kCurlBody.size() - 2;
  REQUIRE(ParseMultipart(kCurlContentType, kCurlBody.substr(0, full)).ok());
  for (size_t len = 0; len < full; ++len) {
    CAPTURE(len);
    Result<Form> got =
        ParseMultipart(kCurlContentType, kCurlBody.substr(0, len));
    CHECK(StatusText(got.status()) ==
          "Invalid argument: truncated multipart body");
  }
}

TEST_CASE("ParseFormBody dispatches on the media type") {
  const std::string mp_body =
      "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\n";
  const std::string long_type = "application/" + std::string(100, 'z');
  struct Row {
    std::string content_type;
    std::string body;
    std::string want_status;  // full Status::ToString()
    std::vector<FormField> want;
  };
  const std::vector<Row> rows = {
      {"application/x-www-form-urlencoded", "a=1", "OK", {Field("a", "1")}},
      {"Application/X-WWW-Form-URLencoded; charset=UTF-8",
       "a=1+2",
       "OK",
       {Field("a", "1 2")}},
      {" \tapplication/x-www-form-urlencoded  ;charset=utf-8",
       "a=1",
       "OK",
       {Field("a", "1")}},
      {"application/x-www-form-urlencoded",
       "a=%zz",
       "Invalid argument: malformed percent-encoding",
       {}},
      {"multipart/form-data; boundary=x", mp_body, "OK", {Field("a", "1")}},
      {"Multipart/Form-Data; boundary=x", mp_body, "OK", {Field("a", "1")}},
      {kCurlContentType,
       kCurlBody,
       "OK",
       {Field("article", "<p>Hello, <b>world</b></p>\n", "file.html",
              "text/html"),
        Field("base_revision", "3")}},
      {"multipart/form-data",
       mp_body,
       "Invalid argument: multipart boundary missing",
       {}},
      {"multipart/form-data; boundary=x",
       mp_body.substr(0, 30),
       "Invalid argument: truncated multipart body",
       {}},
      // A multipart body must not be read as urlencoded or vice versa.
      {"application/x-www-form-urlencoded; boundary=x",
       mp_body,
       "OK",
       {Field("--x\r\nContent-Disposition: form-data; name",
              "\"a\"\r\n\r\n1\r\n--x--\r\n")}},
      {"application/json",
       "{}",
       "Unsupported: unsupported Content-Type: application/json",
       {}},
      {"text/plain; charset=utf-8",
       "a=1",
       "Unsupported: unsupported Content-Type: text/plain",
       {}},
      {"multipart/mixed; boundary=x",
       mp_body,
       "Unsupported: unsupported Content-Type: multipart/mixed",
       {}},
      {"application/x-www-form-urlencodedx",
       "a=1",
       "Unsupported: unsupported Content-Type: "
       "application/x-www-form-urlencodedx",
       {}},
      {"multipart/form-data-x; boundary=x",
       mp_body,
       "Unsupported: unsupported Content-Type: multipart/form-data-x",
       {}},
      {long_type,
       "",
       "Unsupported: unsupported Content-Type: " + long_type.substr(0, 60),
       {}},
      {"bad\x01type\xC3\xA9",
       "",
       "Unsupported: unsupported Content-Type: "
       "bad?type??",
       {}},
      {"", "a=1", "Unsupported: missing Content-Type", {}},
      {" \t ", "a=1", "Unsupported: missing Content-Type", {}},
      {"; boundary=x", mp_body, "Unsupported: missing Content-Type", {}},
  };
  for (const Row& row : rows) {
    CAPTURE(Escape(row.content_type));
    Result<Form> got = ParseFormBody(row.content_type, row.body);
    CHECK(StatusText(got.status()) == row.want_status);
    if (got.ok()) CHECK(Describe(got->fields) == Describe(row.want));
  }
}

TEST_CASE("ParseFormBody maps errors to the right Status codes") {
  // The handler maps codes, not messages, to HTTP 400 and 415.
  struct Row {
    std::string content_type;
    std::string body;
    Status::Code want;
  };
  const std::vector<Row> rows = {
      {"application/x-www-form-urlencoded", "a=%",
       Status::Code::kInvalidArgument},
      {"multipart/form-data", "", Status::Code::kInvalidArgument},
      {"multipart/form-data; boundary=x", "--x\r\n",
       Status::Code::kInvalidArgument},
      {"application/json", "{}", Status::Code::kUnsupported},
      {"", "", Status::Code::kUnsupported},
  };
  for (const Row& row : rows) {
    CAPTURE(row.content_type);
    Result<Form> got = ParseFormBody(row.content_type, row.body);
    CHECK(static_cast<int>(got.status().code()) == static_cast<int>(row.want));
  }
}

TEST_CASE("ParseMultipart handles a 6 MiB upload in linear time") {
  // Many CRLF--boundary look-alikes: a rescan from the part start after each
  // one would make this take minutes instead of milliseconds.
  std::string value;
  while (value.size() < 6 * 1024 * 1024) value += "\r\n--xyzz\r\n--xy ";
  Result<Form> got =
      ParseMultipart("multipart/form-data; boundary=xyz", OnePart(value));
  REQUIRE(got.ok());
  REQUIRE(got->fields.size() == 1);
  CHECK(got->fields[0].value.size() == value.size());
  CHECK(got->fields[0].value == value);
}

TEST_CASE("TextareaToText: CRLF from form submission back to LF") {
  struct Case {
    std::string in, out;
  } cases[] = {
      {"", ""},
      {"a\r\nb\r\n", "a\nb\n"},
      {"a\nb", "a\nb"},
      {"lone\rcr", "lone\rcr"},
      {"\r\r\n", "\r\n"},
      {"end\r", "end\r"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.in);
    CHECK(TextareaToText(c.in) == c.out);
  }
}

}  // namespace
}  // namespace wiki
