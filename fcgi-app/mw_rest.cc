#include "mw_rest.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "form_parser.h"
#include "responses.h"

namespace wiki {

using json = nlohmann::json;

namespace {

constexpr uint64_t kPageId = 1;
constexpr size_t kHistoryPage = 20;

void Send(Response* resp, int status, const json& body) {
  resp->status = status;
  resp->headers.clear();
  resp->AddHeader("Content-Type", "application/json");
  resp->AddHeader("Cache-Control", "no-cache");
  resp->AddHeader("X-Content-Type-Options", "nosniff");
  resp->body = body.dump(-1, ' ', false, json::error_handler_t::replace);
}

void Fail(Response* resp, int status, const std::string& key,
          const std::string& message) {
  Send(resp, status,
       {{"errorKey", key},
        {"messageTranslations", {{"en", message}}},
        {"httpCode", status},
        {"httpReason", ReasonPhrase(status)}});
}

std::string Shown(std::string key) {
  std::replace(key.begin(), key.end(), '_', ' ');
  return key;
}

json License() {
  return {{"url", "https://creativecommons.org/licenses/by-sa/4.0/"},
          {"title", "Creative Commons Attribution-Share Alike 4.0"}};
}

json RevisionJson(const RevisionMeta& m, uint64_t prev_size) {
  return {
      {"id", m.id},
      {"timestamp", FormatIsoTime(m.time_ms)},
      {"minor", false},
      {"size", m.size},
      {"comment", m.summary},
      {"delta", static_cast<int64_t>(m.size) - static_cast<int64_t>(prev_size)},
      {"user", {{"id", nullptr}, {"name", m.author}}}};
}

}  // namespace

MwRest::MwRest(const Config& config, ArticleStore* store, Editor* editor)
    : title_(config.title), config_(config), store_(store), editor_(editor) {}

void MwRest::Handle(const Request& req, Response* resp) {
  std::string_view rest = req.path.substr(sizeof(kMwRestPrefix) - 1);
  const bool read = req.method == "GET" || req.method == "HEAD";
  const std::string page = "page/" + title_;
  if (rest.rfind("revision/", 0) == 0) {
    if (!read) return Fail(resp, 405, "rest-wrong-method", "Use GET.");
    std::string_view id = rest.substr(9);
    bool bare = false;
    if (id.size() > 5 && id.substr(id.size() - 5) == "/bare") {
      bare = true;
      id.remove_suffix(5);
    }
    OneRevision(req, id, !bare, resp);
  } else if (rest == page) {
    if (req.method == "PUT") return Put(req, resp);
    if (!read) return Fail(resp, 405, "rest-wrong-method", "Use GET or PUT.");
    Page(req, kSource, resp);
  } else if (rest == page + "/bare" || rest == page + "/history" ||
             rest == page + "/with_html" || rest == page + "/html") {
    if (!read) return Fail(resp, 405, "rest-wrong-method", "Use GET.");
    if (rest == page + "/bare") return Page(req, kBare, resp);
    if (rest == page + "/with_html") return Page(req, kWithHtml, resp);
    if (rest == page + "/html") return Page(req, kHtml, resp);
    History(req, resp);
  } else if (rest.rfind("page/", 0) == 0) {
    Fail(resp, 404, "rest-nonexistent-title",
         "The page you specified doesn't exist.");
  } else {
    Fail(resp, 404, "rest-no-match",
         "The requested relative path did not match any known handler.");
  }
  resp->omit_body = req.method == "HEAD";
}

void MwRest::Page(const Request& req, Shape shape, Response* resp) {
  (void)req;
  auto cur = store_->Current();
  if (!cur.ok()) {
    return Fail(resp, 500, "rest-internal", "The article could not be read.");
  }
  SendPage(**cur, shape, resp);
}

void MwRest::SendPage(const Revision& rev, Shape shape, Response* resp) {
  const RevisionMeta& m = rev.meta;
  if (shape == kHtml) {  // the article is HTML: its rendering is itself
    resp->status = 200;
    resp->headers.clear();
    resp->AddHeader("Content-Type", "text/html; charset=utf-8");
    resp->AddHeader("Cache-Control", "no-cache");
    SecurityHeaders(resp);
    resp->body = rev.text;
    return;
  }
  json page = {
      {"id", kPageId},
      {"key", title_},
      {"title", Shown(title_)},
      {"latest", {{"id", m.id}, {"timestamp", FormatIsoTime(m.time_ms)}}},
      {"content_model", "html"},
      {"license", License()}};
  if (shape == kSource) page["source"] = rev.text;
  if (shape == kWithHtml) page["html"] = rev.text;
  if (shape == kBare) {
    page["html_url"] = "/w/rest.php/v1/page/" + title_ + "/html";
  }
  Send(resp, 200, page);
}

void MwRest::History(const Request& req, Response* resp) {
  auto query = ParseUrlEncoded(req.query);
  if (!query.ok())
    return Fail(resp, 400, "rest-bad-query", query.status().message());
  auto history = store_->History();
  if (!history.ok()) {
    return Fail(resp, 500, "rest-internal", "The history could not be read.");
  }
  const auto& h = *history;
  uint64_t older_than = h.empty() ? 0 : h.back().id + 1;
  if (const FormField* f = query->Find("older_than")) {
    if (!ParseRevisionId(f->value, &older_than)) {
      return Fail(resp, 400, "paramvalidator-badinteger",
                  "older_than must be a revision id.");
    }
  }
  json revs = json::array();
  uint64_t last = 0;
  bool more = false;
  for (size_t i = h.size(); i-- > 0;) {
    if (h[i].id >= older_than) continue;
    if (revs.size() == kHistoryPage) {
      more = true;
      break;
    }
    revs.push_back(RevisionJson(h[i], i > 0 ? h[i - 1].size : 0));
    last = h[i].id;
  }
  const std::string base = "/w/rest.php/v1/page/" + title_ + "/history";
  json out = {{"revisions", revs}, {"latest", base}};
  if (more) out["older"] = base + "?older_than=" + std::to_string(last);
  Send(resp, 200, out);
}

void MwRest::OneRevision(const Request& req, std::string_view id_s,
                         bool with_source, Response* resp) {
  (void)req;
  uint64_t id = 0;
  if (!ParseRevisionId(id_s, &id) || id == 0) {
    return Fail(resp, 404, "rest-nonexistent-revision",
                "The specified revision does not exist.");
  }
  auto rev = store_->Get(id);
  if (!rev.ok()) {
    if (rev.status().code() == Status::Code::kNotFound) {
      return Fail(resp, 404, "rest-nonexistent-revision",
                  "The specified revision does not exist.");
    }
    return Fail(resp, 500, "rest-internal", "The revision could not be read.");
  }
  uint64_t prev_size = 0;
  if (id > 1) {
    auto prev = store_->Get(id - 1);
    if (prev.ok()) prev_size = (*prev)->meta.size;
  }
  json out = RevisionJson((*rev)->meta, prev_size);
  out["content_model"] = "html";
  out["page"] = {{"id", kPageId}, {"key", title_}, {"title", Shown(title_)}};
  if (with_source) out["source"] = (*rev)->text;
  Send(resp, 200, out);
}

void MwRest::Put(const Request& req, Response* resp) {
  if (req.body_too_large || req.body.size() > config_.max_body_bytes()) {
    return Fail(resp, 413, "rest-too-large", "The request body is too large.");
  }
  if (!EqualsIgnoreCase(MediaType(req.content_type), "application/json")) {
    return Fail(resp, 415, "rest-unsupported-content-type",
                "PUT takes Content-Type: application/json.");
  }
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("source") ||
      !body["source"].is_string()) {
    return Fail(resp, 400, "rest-missing-body-field",
                "The body must be a JSON object with a string \"source\".");
  }
  const json* latest = body.contains("latest") ? &body["latest"] : nullptr;
  if (latest == nullptr || !latest->is_object() || !latest->contains("id") ||
      !(*latest)["id"].is_number_unsigned()) {
    return Fail(resp, 400, "rest-missing-body-field",
                "latest.id (the revision you edited) is required.");
  }
  const std::string source = body["source"].get<std::string>();
  EditRequest edit;
  edit.kind = EditKind::kForm;
  edit.text = source;
  edit.base_revision = (*latest)["id"].get<uint64_t>();
  if (body.contains("comment") && body["comment"].is_string()) {
    edit.summary = body["comment"].get<std::string>();
  }
  edit.author =
      std::string(!req.remote_user.empty() ? req.remote_user : req.remote_addr);
  const EditResult r = editor_->Submit(edit);
  using O = EditResult::Outcome;
  switch (r.outcome) {
    case O::kSaved:
    case O::kMerged: {
      // The revision this edit made, even if another landed since.
      auto made = store_->Get(r.committed.id);
      if (!made.ok()) return Page(req, kSource, resp);
      return SendPage(**made, kSource, resp);
    }
    case O::kConflict:
    case O::kStale:
      return Fail(resp, 409, "rest-update-mismatched-revision",
                  "Edit conflict: the page changed since revision " +
                      std::to_string(*edit.base_revision) + ".");
    case O::kPreconditionRequired:
      return Fail(resp, 400, "rest-missing-body-field", r.status.message());
    case O::kRejected:
    case O::kFailed:
    case O::kAbandoned: {
      const int code = HttpStatusFor(r.status);
      return Fail(
          resp, code,
          r.outcome == O::kRejected ? "rest-edit-rejected" : "rest-internal",
          r.status.message());
    }
  }
}

}  // namespace wiki
