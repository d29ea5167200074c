-- wiki_front: the front cache's current directory for nginx, read from the
-- record the app publishes (fcgi-app/front_record.h: layout and why a read
-- cannot be torn) through a shared mapping: no system call per request,
-- where $realpath_root made one readlink(2) per path component.
--
-- current(path) returns the directory name ("<id>-<hash16>-<fib>", "off"),
-- or "" while the record is missing or not a record: nginx then sends the
-- read to the app, which is always current (nginx/wiki-site.conf).
local ffi = require "ffi"

ffi.cdef [[
int open(const char *pathname, int flags);
int close(int fd);
void *mmap(void *addr, size_t length, int prot, int flags, int fd, long offset);
int munmap(void *addr, size_t length);
]]

local O_RDONLY, PROT_READ, MAP_SHARED = 0, 1, 1
local SLOTS, SLOT_BYTES, HEADER_BYTES = 256, 64, 64
local SIZE = HEADER_BYTES + SLOTS * SLOT_BYTES

local M = {}
local base = nil     -- this worker's mapping
local next_try = 0   -- when to try mapping again (the record is missing)

local function map(path)
  local fd = ffi.C.open(path, O_RDONLY)
  if fd < 0 then return nil end
  local p = ffi.C.mmap(nil, SIZE, PROT_READ, MAP_SHARED, fd, 0)
  ffi.C.close(fd)
  if ffi.cast("intptr_t", p) == -1 then return nil end
  local b = ffi.cast("const char *", p)
  if ffi.string(b, 8) ~= "wikifr01" then
    ffi.C.munmap(p, SIZE)
    return nil
  end
  return b
end

function M.current(path)
  if base == nil then
    -- Until a worker has published, at most one open() per 0.1 s.
    local now = ngx.now()
    if now < next_try then return "" end
    next_try = now + 0.1
    base = map(path)
    if base == nil then return "" end
  end
  local cur = ffi.cast("const volatile uint64_t *", base + 8)[0]
  local slot = tonumber(cur % SLOTS)
  return ffi.string(base + HEADER_BYTES + slot * SLOT_BYTES)
end

return M
