// config: the article server's settings, read from an INI file with inih.
//
//   [article]  title, data_dir, cache_dir, max_article_bytes,
//              plain_revisions, pack_revisions, generation_file
//   [massage]  mode = per-revision | per-request, fib_n
//   [edit]     merge = word | line | off
//   [server]   threads, shed_after_ms, metrics_file, accel_redirect
//   [edge]     caches, timeout_ms
//
// A key given twice takes the last value, so a launcher can append
// overrides to a copy of the file. Unknown sections or keys and
// out-of-range values are errors: a typo must not silently fall back to a
// default on a production host.
#ifndef WIKI_CONFIG_H_
#define WIKI_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace wiki {

enum class MassageMode {
  kPerRevision,  // compute once per revision, reuse for every read
  kPerRequest,   // compute afresh for every article request
};

enum class MergeMode { kOff, kLine, kWord };

struct Config {
  // [article]
  std::string title = "Latest_plane_crash";
  std::string data_dir = "/var/lib/wiki";
  // Derived files, rebuilt from data_dir whenever they are missing: the
  // front cache (pages/, front_pages.h) and the X-Accel page bodies
  // (cache/, page_cache.h). Every edit creates a dozen of them and deletes
  // as many old ones, none fsynced: on tmpfs (/run/wiki) that costs the
  // disk's journal nothing. "" = data_dir: use CacheDir().
  std::string cache_dir;
  const std::string& CacheDir() const {
    return cache_dir.empty() ? data_dir : cache_dir;
  }
  size_t max_article_bytes = 2 * 1024 * 1024;
  // The newest revisions stay plain files; older ones are packed this many
  // to a file (0 = never). See article_store.h.
  uint64_t plain_revisions = 64;
  uint64_t pack_revisions = 64;
  // The counter that announces new revisions to every worker (generation.h);
  // default <data_dir>/.generation; "off": a stat of the article per read.
  std::string generation_file;

  // [massage]
  MassageMode massage = MassageMode::kPerRevision;
  int fib_n = 34;

  // [edit]
  MergeMode merge = MergeMode::kWord;

  // [server]
  int threads = 64;          // FastCGI threads per worker process
  int shed_after_ms = 30;    // 503 for reads queued longer than this; 0 = never
  std::string metrics_file;  // default: <data_dir>/.metrics
  // When set, article bodies are not sent by the app: it answers with the
  // headers and "X-Accel-Redirect: <prefix>revisions/<id>.html" (raw) or
  // "<prefix>cache/page-....html" (reader page), and nginx sends the file
  // from data_dir with sendfile. "" = the app sends bodies itself.
  std::string accel_redirect_prefix;
  // Bodies smaller than this are sent by the app even with
  // accel_redirect_prefix set: nginx can keep a connection to the worker
  // only when the body comes through it (an X-Accel-Redirect response ends
  // that connection), and for a page of tens of KB a kept connection saves
  // more than the copy costs. 0: every body with a file goes by X-Accel.
  size_t accel_min_bytes = 65536;

  // [edge] Edge caches (nginx/edge-site.conf) refreshed before an edit is
  // acknowledged, as "host:port" (ini: comma-separated; default none: only
  // the local front cache), and how long one refresh of all of them may take.
  std::vector<std::string> edge_caches;
  int edge_timeout_ms = 300;

  // Largest request body accepted: an article sent urlencoded can grow to
  // three times its size (%XX), plus room for the other fields.
  size_t max_body_bytes() const { return max_article_bytes * 3 + 65536; }
};

// Parses `path`. On error the Status names the file, line and key.
Result<Config> LoadConfig(const std::string& path);

// Same, from the INI text itself (used by tests).
Result<Config> ParseConfig(const std::string& ini_text);

// The value of "section.key" as the INI file would spell it (e.g.
// "article.title", "server.threads"), plus the derived
// "server.max_body_bytes" (nginx's client_max_body_size), so that scripts
// read settings through the server's own parser. NotFound for other keys.
Result<std::string> ConfigValue(const Config& config, std::string_view key);

}  // namespace wiki

#endif  // WIKI_CONFIG_H_
