#include "representation.h"

namespace wiki {

Representation ChooseRepresentation(PageCache* pages, const RevisionPtr& rev,
                                    uint64_t current_id, bool raw,
                                    std::string_view accept_encoding) {
  Representation rep;
  rep.rev = rev;
  rep.raw = raw;
  const Coding wanted = PreferredCoding(accept_encoding);
  if (rev->meta.id == current_id && (!raw || wanted != Coding::kIdentity)) {
    // Null if `rev` was superseded meanwhile: then it is sent like an old
    // revision.
    rep.page = pages->Current(rev);
  }
  if (rep.page != nullptr) {
    for (const CodingInfo& c : kCodings) {
      if (!AcceptsCoding(accept_encoding, c.coding)) continue;
      rep.body = rep.page->Find(raw, c.coding);
      if (rep.body != nullptr || c.coding == Coding::kIdentity) {
        rep.coding = c.coding;
        break;
      }
    }
  }
  rep.etag = raw ? rev->meta.RawETag() : rev->meta.PageETag();
  rep.etag.insert(rep.etag.size() - 1, InfoOf(rep.coding).suffix);
  return rep;
}

void AttachBody(PageCache* pages, const Representation& rep,
                uint64_t current_id, const std::string& accel_prefix,
                size_t accel_min_bytes, Response* resp) {
  const RevisionPtr& rev = rep.rev;
  if (rep.body == nullptr && rep.raw) {
    if (!accel_prefix.empty() && rev->meta.id == current_id &&
        rev->text.size() >= accel_min_bytes) {
      // Revision files are immutable: nginx can send this one directly.
      // Not an old one: it may be packed (its file removed) meanwhile.
      resp->AddHeader(
          "X-Accel-Redirect",
          accel_prefix + "revisions/" + std::to_string(rev->meta.id) + ".html");
      return;
    }
    // Share the revision's bytes instead of copying them.
    resp->shared_body = std::shared_ptr<const std::string>(rev, &rev->text);
    return;
  }
  if (rep.body == nullptr) {
    resp->shared_body = pages->Old(*rev, current_id);
    return;
  }
  if (!accel_prefix.empty() && !rep.body->file_name.empty() &&
      rep.body->bytes->size() >= accel_min_bytes) {
    resp->AddHeader("X-Accel-Redirect",
                    accel_prefix + "cache/" + rep.body->file_name);
    return;
  }
  resp->shared_body = rep.body->bytes;
}

}  // namespace wiki
