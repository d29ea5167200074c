#!/usr/bin/python3
"""Debian's python3-mwclient against the real stack's /w/api.php.

Usage: tests/mwclient_test.py PORT   (started by tests/mwclient_itest.cc)

Reads the article, edits it with a summary (checked in the wiki's own
history), edits from a stale base (must merge or be an editconflict, never
silently revert the edit in between), collides on one line (editconflict),
pages through the revisions with continuation, reads revisions with sha1
and by timestamp range, appends text and makes a nochange edit. Prints one line per
check and exits non-zero if any failed.
"""
import calendar
import hashlib
import json
import sys
import time
import urllib.request
import uuid

import mwclient
import mwclient.errors

PORT = int(sys.argv[1])
BASE = 'http://127.0.0.1:%d' % PORT
TITLE = 'Latest plane crash'
failures = []


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        failures.append(what)


def get(path):
    with urllib.request.urlopen(BASE + path) as r:
        return r.read().decode('utf-8')


def raw():
    return get('/wiki/Latest_plane_crash?action=raw')


def site():
    return mwclient.Site('127.0.0.1:%d' % PORT, scheme='http', path='/w/',
                         force_login=False)


def with_line_after(text, anchor_index, line):
    """text with `line` inserted after its anchor_index-th line."""
    lines = text.split('\n')
    lines.insert(anchor_index + 1, line)
    return '\n'.join(lines)


def edit_fresh(change, summary):
    """Reads the page and saves change(text), as a bot does: mwclient sends
    basetimestamp, which the wiki resolves to the earliest revision of that
    second; when several revisions share it, an edit may get a (false)
    editconflict, never a silent revert. A bot re-reads and retries (which
    helps once a revision lands in a later second)."""
    for _ in range(5):
        p = site().pages[TITLE]
        text = p.text()
        try:
            return text, change(text), p.edit(change(text), summary=summary)
        except mwclient.errors.EditError:
            continue
    raise AssertionError('no fresh edit saved in 5 attempts')


s = site()
check(s.writeapi, 'siteinfo says the write API is there')
page = s.pages[TITLE]
check(page.exists and page.pageid == 1, 'the article exists')
text = page.text()
check(text == raw(), 'mwclient reads the same text as ?action=raw')

# An edit with a summary, seen in the wiki's history.
summary = 'mwclient edit ' + uuid.uuid4().hex[:8]
_, edited, result = edit_fresh(lambda t: t + '<p>Added by mwclient.</p>\n',
                               summary)
check(result.get('result') == 'Success', 'the edit succeeds')
check(raw() == edited, 'the article is the edited text')
history = json.loads(get('/wiki/Latest_plane_crash?action=history&format=json'))
check(history['revisions'][0]['summary'] == summary,
      'the summary is in the history')
check(history['revisions'][0]['id'] == result.get('newrevid'),
      'newrevid is the newest revision')

# A stale base: `stale` reads, `page` edits near the end, then `stale` edits
# near the start from what it read. Merged (both changes kept) or refused
# as an editconflict; never the first edit reverted.
stale = site().pages[TITLE]
stale_text = stale.text()
# In the middle: an append at the end would touch the same place as the
# first edit, which may share a second with this read's revision (then an
# editconflict every time; see README, API).
end_line = '<p>In the middle, by the first editor.</p>'
edit_fresh(lambda t: with_line_after(t, t.count('\n') // 2, end_line),
           'first editor')
start_line = '<p>Near the start, by the second editor.</p>'
try:
    stale.edit(with_line_after(stale_text, 2, start_line),
               summary='second editor, stale base')
    now = raw()
    check(end_line in now and start_line in now,
          'the stale edit merged and kept the edit in between')
except mwclient.errors.EditError:
    check(end_line in raw(), 'editconflict, and the edit in between kept')

# Both change the same line: an editconflict, the first edit kept.
b = site().pages[TITLE]
b_text = b.text()
edit_fresh(lambda t: with_line_after(t, 12, '<p>Line by A.</p>'), 'A')
try:
    b.edit(with_line_after(b_text, 12, '<p>Line by B.</p>'), summary='B')
    now = raw()
    check('<p>Line by A.</p>' in now, 'B saved (merged) and A kept')
except mwclient.errors.EditError:
    check('<p>Line by A.</p>' in raw(), 'B got editconflict and A was kept')

# Every revision, two per request (rvcontinue), newest first.
revs = list(site().pages[TITLE].revisions(limit=2, prop='ids|comment|user'))
ids = [r['revid'] for r in revs]
newest = json.loads(
    get('/wiki/Latest_plane_crash?action=history&format=json'))['revisions']
check(ids == sorted(ids, reverse=True) and ids[0] == newest[0]['id']
      and len(ids) == ids[0], 'all %d revisions, continuation included' % len(ids))
check(any(r.get('comment') == summary for r in revs),
      'the summary is in the API history')

# sha1 of every revision's text, as MediaWiki computes it.
with_text = list(site().pages[TITLE].revisions(
    limit=3, prop='ids|timestamp|sha1|content'))
check(len(with_text) == ids[0] and all(
    r.get('sha1') == hashlib.sha1(r['*'].encode('utf-8')).hexdigest()
    for r in with_text), 'sha1 of each revision is the SHA-1 of its text')

# Timestamp ranges: rvstart/rvend take whole seconds, rvdir orders them.
def ts(r):
    return calendar.timegm(r['timestamp'])


def iso(secs):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(secs))


every = list(site().pages[TITLE].revisions(limit=50, prop='ids|timestamp'))
mid = ts(every[len(every) // 2])
older = [r['revid'] for r in site().pages[TITLE].revisions(
    start=iso(mid), limit=2, prop='ids|timestamp')]
check(older == [r['revid'] for r in every if ts(r) <= mid],
      'rvstart, rvdir=older: every revision up to that second, newest first')
newer = [r['revid'] for r in site().pages[TITLE].revisions(
    start=iso(mid), dir='newer', limit=2, prop='ids|timestamp')]
check(newer == sorted(r['revid'] for r in every if ts(r) >= mid),
      'rvstart, rvdir=newer: every revision from that second, oldest first')
ending = [r['revid'] for r in site().pages[TITLE].revisions(
    end=iso(mid), limit=2, prop='ids|timestamp')]
check(ending == [r['revid'] for r in every if ts(r) >= mid],
      'rvend, rvdir=older: down to that second')

# appendtext, through mwclient's Page.append.
tail = '<p>Appended by mwclient %s.</p>\n' % uuid.uuid4().hex[:8]
before = raw()
result = site().pages[TITLE].append(tail, summary='append')
check(result.get('result') == 'Success' and raw() == before + tail,
      'append adds the text at the end')

# The current text again: nochange, no new revision.
p = site().pages[TITLE]
last = json.loads(get('/wiki/Latest_plane_crash?action=history&format=json'))
result = p.edit(p.text(), summary='nothing')
after = json.loads(get('/wiki/Latest_plane_crash?action=history&format=json'))
check('nochange' in result and 'newrevid' not in result
      and after['revisions'][0]['id'] == last['revisions'][0]['id'],
      'an unchanged text is a nochange edit, no new revision')

print('%d failed' % len(failures))
sys.exit(1 if failures else 0)
