-- wiki_front: the front cache's current directory for nginx, read from the
-- record the app publishes (fcgi-app/front_record.h: layout and why a read
-- cannot be torn) through a shared mapping: no system call per request,
-- where $realpath_root made one readlink(2) per path component.
--
-- current(path) returns the directory name ("<id>-<hash16>-<fib>", "off"),
-- or "" while the record is missing or not a record: nginx then sends the
-- read to the app, which is always current (nginx/wiki-site.conf).
--
-- The app only ever creates the record whole and then writes it in place,
-- but a record deleted or replaced by hand would leave this worker reading
-- a file nobody writes any more (stale names, for as long as their
-- directories live). So each worker maps the path afresh once a second
-- (open, mmap, close: a few system calls per second, not per request): a
-- record replaced is followed within 1 s, a record deleted sends reads to
-- the app. A file shorter than a record is never mapped (reading past its
-- end would be SIGBUS).
local ffi = require "ffi"

ffi.cdef [[
int open(const char *pathname, int flags);
int close(int fd);
long lseek(int fd, long offset, int whence);
void *mmap(void *addr, size_t length, int prot, int flags, int fd, long offset);
int munmap(void *addr, size_t length);
]]

local O_RDONLY, PROT_READ, MAP_SHARED, SEEK_END = 0, 1, 1, 2
local SLOTS, SLOT_BYTES, HEADER_BYTES = 256, 64, 64
local SIZE = HEADER_BYTES + SLOTS * SLOT_BYTES
local REMAP_SECONDS = 1      -- while mapped
local RETRY_SECONDS = 0.1    -- while the record is missing

local M = {}
local base = nil     -- this worker's mapping (const char *), or nil
local next_map = 0   -- when to map the path again

-- The record at `path` mapped, or nil (missing, short, or not a record).
local function map(path)
  local fd = ffi.C.open(path, O_RDONLY)
  if fd < 0 then return nil end
  if ffi.C.lseek(fd, 0, SEEK_END) < SIZE then
    ffi.C.close(fd)
    return nil
  end
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
  local now = ngx.now()
  if now >= next_map then
    -- The old mapping goes only now: names are copied out (ffi.string)
    -- before any request could see it unmapped.
    local fresh = map(path)
    if base ~= nil then ffi.C.munmap(ffi.cast("void *", base), SIZE) end
    base = fresh
    next_map = now + (base ~= nil and REMAP_SECONDS or RETRY_SECONDS)
  end
  if base == nil then return "" end
  local cur = ffi.cast("const volatile uint64_t *", base + 8)[0]
  local slot = tonumber(cur % SLOTS)
  return ffi.string(base + HEADER_BYTES + slot * SLOT_BYTES)
end

return M
