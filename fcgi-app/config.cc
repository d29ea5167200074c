#include "config.h"

#include <ini.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace wiki {

namespace {

struct ParseState {
  Config config;
  std::string error;  // first error, with its line
};

bool ParseInt(const char* value, long lo, long hi, long* out) {
  errno = 0;
  char* end = nullptr;
  long v = std::strtol(value, &end, 10);
  if (errno != 0 || end == value || *end != '\0' || v < lo || v > hi) {
    return false;
  }
  *out = v;
  return true;
}

// inih callback: returns 0 to report an error on this line.
int Handle(void* user, const char* section, const char* name,
           const char* value) {
  auto* st = static_cast<ParseState*>(user);
  Config& c = st->config;
  std::string s = section, k = name, v = value;
  auto bad = [&](const std::string& why) {
    if (st->error.empty()) st->error = "[" + s + "] " + k + ": " + why;
    return 0;
  };
  long n = 0;
  if (s == "article") {
    if (k == "title") {
      if (v.empty() || v.find_first_of("/?#%& ") != std::string::npos) {
        return bad("must be a non-empty title without / ? # % & or spaces");
      }
      c.title = v;
    } else if (k == "data_dir") {
      if (v.empty()) return bad("must not be empty");
      c.data_dir = v;
    } else if (k == "cache_dir") {
      if (v.empty()) return bad("must not be empty");
      c.cache_dir = v;
    } else if (k == "max_article_bytes") {
      if (!ParseInt(value, 1024, 64L * 1024 * 1024, &n)) {
        return bad("must be an integer from 1024 to 67108864");
      }
      c.max_article_bytes = static_cast<size_t>(n);
    } else if (k == "plain_revisions") {
      if (!ParseInt(value, 2, 1000000, &n)) {
        return bad("must be an integer from 2 to 1000000");
      }
      c.plain_revisions = static_cast<uint64_t>(n);
    } else if (k == "pack_revisions") {
      // A pack is built in memory from all its revisions' texts.
      if (!ParseInt(value, 0, 1024, &n)) {
        return bad("must be an integer from 0 (never pack) to 1024");
      }
      c.pack_revisions = static_cast<uint64_t>(n);
    } else if (k == "generation_file") {
      if (v.empty()) return bad("must be a path or off");
      c.generation_file = v;
    } else {
      return bad("unknown key");
    }
  } else if (s == "massage") {
    if (k == "mode") {
      if (v == "per-revision") {
        c.massage = MassageMode::kPerRevision;
      } else if (v == "per-request") {
        c.massage = MassageMode::kPerRequest;
      } else {
        return bad("must be per-revision or per-request");
      }
    } else if (k == "fib_n") {
      if (!ParseInt(value, 0, 45, &n)) return bad("must be 0..45");
      c.fib_n = static_cast<int>(n);
    } else {
      return bad("unknown key");
    }
  } else if (s == "edit") {
    if (k == "merge") {
      if (v == "word") {
        c.merge = MergeMode::kWord;
      } else if (v == "line") {
        c.merge = MergeMode::kLine;
      } else if (v == "off") {
        c.merge = MergeMode::kOff;
      } else {
        return bad("must be word, line or off");
      }
    } else {
      return bad("unknown key");
    }
  } else if (s == "server") {
    if (k == "threads") {
      if (!ParseInt(value, 1, 256, &n)) return bad("must be 1..256");
      c.threads = static_cast<int>(n);
    } else if (k == "shed_after_ms") {
      if (!ParseInt(value, 0, 600000, &n)) return bad("must be 0..600000");
      c.shed_after_ms = static_cast<int>(n);
    } else if (k == "metrics_file") {
      c.metrics_file = v;
    } else if (k == "accel_redirect") {
      if (!v.empty() && (v.front() != '/' || v.back() != '/')) {
        return bad("must be empty or a path that starts and ends with /");
      }
      c.accel_redirect_prefix = v;
    } else if (k == "accel_min_bytes") {
      if (!ParseInt(value, 0, int64_t{1} << 30, &n))
        return bad("must be 0..1073741824");
      c.accel_min_bytes = static_cast<size_t>(n);
    } else {
      return bad("unknown key");
    }
  } else if (s == "edge") {
    if (k == "caches") {
      c.edge_caches.clear();
      size_t at = 0;
      while (at <= v.size()) {
        size_t comma = v.find(',', at);
        if (comma == std::string::npos) comma = v.size();
        std::string item = v.substr(at, comma - at);
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        const size_t colon = item.rfind(':');
        long port = 0;
        if (!item.empty() &&
            (colon == std::string::npos || colon == 0 ||
             !ParseInt(item.c_str() + colon + 1, 1, 65535, &port))) {
          return bad("must be a comma-separated list of host:port");
        }
        if (!item.empty()) c.edge_caches.push_back(item);
        at = comma + 1;
      }
    } else if (k == "timeout_ms") {
      if (!ParseInt(value, 10, 10000, &n)) return bad("must be 10..10000");
      c.edge_timeout_ms = static_cast<int>(n);
    } else {
      return bad("unknown key");
    }
  } else {
    return bad("unknown section");
  }
  return 1;
}

Result<Config> Finish(ParseState& st, int rc, const std::string& where) {
  if (rc < 0) return Status::IOError("cannot open config " + where);
  if (rc > 0) {
    return Status::InvalidArgument(
        where + ":" + std::to_string(rc) + ": " +
        (st.error.empty() ? "syntax error" : st.error));
  }
  if (st.config.metrics_file.empty()) {
    st.config.metrics_file = st.config.data_dir + "/.metrics";
  }
  if (st.config.generation_file.empty()) {
    st.config.generation_file = st.config.data_dir + "/.generation";
  }
  return st.config;
}

}  // namespace

Result<Config> LoadConfig(const std::string& path) {
  ParseState st;
  int rc = ini_parse(path.c_str(), Handle, &st);
  return Finish(st, rc, path);
}

Result<Config> ParseConfig(const std::string& ini_text) {
  ParseState st;
  int rc = ini_parse_string(ini_text.c_str(), Handle, &st);
  return Finish(st, rc, "<string>");
}

namespace {

const char* MassageModeName(MassageMode m) {
  return m == MassageMode::kPerRevision ? "per-revision" : "per-request";
}

const char* MergeModeName(MergeMode m) {
  switch (m) {
    case MergeMode::kOff:
      return "off";
    case MergeMode::kLine:
      return "line";
    case MergeMode::kWord:
      return "word";
  }
  return "?";
}

}  // namespace

Result<std::string> ConfigValue(const Config& c, std::string_view key) {
  using std::to_string;
  if (key == "article.title") return c.title;
  if (key == "article.data_dir") return c.data_dir;
  if (key == "article.cache_dir") return c.CacheDir();
  if (key == "article.max_article_bytes") return to_string(c.max_article_bytes);
  if (key == "article.plain_revisions") return to_string(c.plain_revisions);
  if (key == "article.pack_revisions") return to_string(c.pack_revisions);
  if (key == "article.generation_file") return c.generation_file;
  if (key == "massage.mode") return std::string(MassageModeName(c.massage));
  if (key == "massage.fib_n") return to_string(c.fib_n);
  if (key == "edit.merge") return std::string(MergeModeName(c.merge));
  if (key == "server.threads") return to_string(c.threads);
  if (key == "server.shed_after_ms") return to_string(c.shed_after_ms);
  if (key == "server.metrics_file") return c.metrics_file;
  if (key == "server.accel_redirect") return c.accel_redirect_prefix;
  if (key == "server.accel_min_bytes") return to_string(c.accel_min_bytes);
  if (key == "server.max_body_bytes") return to_string(c.max_body_bytes());
  if (key == "edge.caches") {
    std::string list;
    for (const std::string& e : c.edge_caches)
      list += (list.empty() ? "" : ",") + e;
    return list;
  }
  if (key == "edge.timeout_ms") return to_string(c.edge_timeout_ms);
  return Status::NotFound("no setting " + std::string(key));
}

}  // namespace wiki
