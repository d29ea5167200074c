// Browser tests of the article server: Debian's Chromium, driven by
// playwright-core, against the real stack (conf/wikistack on a free
// loopback port, a data directory of its own). Run by tests/browser/run,
// which installs what is missing and skips, visibly, where no browser can
// be had. Prints one "ok"/"not ok" line per case and, last,
// "N passed, N failed".
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '../..');
const { chromium } = require(path.join(ROOT, 'build/browser/node_modules/playwright-core'));
const SHOTS = path.join(ROOT, 'build/browser-screenshots');
const TITLE = 'Latest_plane_crash';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// Starts the stack; resolves with {url, stop} once it serves.
async function startStack() {
  const port = await freePort();
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wiki-browser-'));
  fs.chmodSync(runDir, 0o755);
  const child = spawn('bash', ['conf/wikistack', 'run'], {
    cwd: ROOT,
    detached: true,  // its own process group: stop() reaches every process
    // Shedding off: a page shed under this shared machine's load (503)
    // would be a correct answer but not the page under test.
    env: { ...process.env, PORT: String(port), RUN_DIR: runDir, WORKERS: '2',
           WIKI_SET: 'server.shed_after_ms=0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + 45000;
  while (!log.includes('wikistack: serving')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error('the stack did not come up:\n' + log);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base: `http://127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/wiki/${TITLE}`,
    async stop() {
      try { process.kill(-child.pid, 'SIGTERM'); } catch (e) { /* gone */ }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15000))]);
      fs.rmSync(runDir, { recursive: true, force: true });
    },
  };
}

// A page that records console errors, page errors and CSP violations.
async function newPage(browser, viewport) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.problems = [];
  // Resource failures are judged by URL below: the sample article links
  // images on other hosts, which this sandbox cannot resolve.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      page.problems.push('console: ' + m.text());
    }
  });
  page.on('requestfailed', (r) => {
    if (new URL(r.url()).hostname === '127.0.0.1') {
      page.problems.push('request failed: ' + r.url() + ' ' + r.failure().errorText);
    }
  });
  page.on('response', (r) => {
    // 409 is the conflict page, an expected answer.
    if (r.status() >= 400 && r.status() !== 409) {
      page.problems.push(`HTTP ${r.status()}: ${r.url()}`);
    }
  });
  page.on('pageerror', (e) => page.problems.push('page error: ' + e.message));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI);
    });
  });
  return page;
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

async function rawText(stack) {
  const r = await fetch(stack.url + '?action=raw');
  assert(r.status === 200, 'raw: ' + r.status);
  return { text: await r.text(), rev: Number(r.headers.get('x-revision')) };
}

// Opens the edit form from the reader page, as an editor would.
async function openEditor(page, stack) {
  await page.goto(stack.url);
  await page.click('nav.tabs a:has-text("Edit")');
  await page.waitForSelector('textarea[name=text]');
}

async function save(page, summary) {
  if (summary !== undefined) await page.fill('input[name=summary]', summary);
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.click('button[type=submit]'),
  ]);
  return response;
}

async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
}

const cases = [];
function test(name, fn) { cases.push({ name, fn }); }

test('read, edit, save, history: the textarea holds the raw text exactly', async (b, stack) => {
  const page = await newPage(b, { width: 1280, height: 900 });
  await page.goto(stack.url);
  assert((await page.title()).includes('Latest plane crash'), 'title');
  assert(await page.$('#mw-content-text'), 'article container');
  await shot(page, 'read-1280');
  await openEditor(page, stack);
  const raw = await rawText(stack);
  const inForm = await page.inputValue('textarea[name=text]');
  assert(inForm === raw.text, 'textarea differs from ?action=raw');
  await shot(page, 'edit-1280');
  const added = '<p>Browser edit ' + Date.now() + '.</p>\n';
  await page.fill('textarea[name=text]', inForm + added);
  const response = await save(page, 'browser test summary');
  assert(response.url() === stack.url, 'landed on ' + response.url());
  assert((await page.content()).includes(added.trim().slice(3, -4)), 'new text shown');
  const after = await rawText(stack);
  assert(after.text === inForm + added, 'stored text differs');
  assert(after.rev === raw.rev + 1, 'revision ' + after.rev);
  await page.click('nav.tabs a:has-text("History")');
  assert((await page.content()).includes('browser test summary'), 'summary in history');
  await shot(page, 'history-1280');
  assert(page.problems.length === 0, page.problems.join('; '));
});

// Two editors open the form on the same revision, then save in turn.
async function twoEditors(b, stack, changeA, changeB) {
  const a = await newPage(b, { width: 1280, height: 900 });
  const c = await newPage(b, { width: 1280, height: 900 });
  await openEditor(a, stack);
  await openEditor(c, stack);
  const text = await a.inputValue('textarea[name=text]');
  await a.fill('textarea[name=text]', changeA(text));
  await c.fill('textarea[name=text]', changeB(text));
  const ra = await save(a, 'editor A');
  const rc = await save(c, 'editor B');
  return { a, c, ra, rc, text };
}

// Paragraph boundaries of the sample article, to edit far apart.
function paragraphs(text) {
  const ends = [];
  for (let i = text.indexOf('</p>'); i >= 0; i = text.indexOf('</p>', i + 1)) ends.push(i);
  assert(ends.length >= 4, 'the sample has paragraphs');
  return ends;
}

test('two browsers, different paragraphs: both land, no conflict page', async (b, stack) => {
  const tag = Date.now();
  const { a, c, ra, rc } = await twoEditors(b, stack,
    (t) => { const e = paragraphs(t)[0]; return t.slice(0, e) + ` (A ${tag})` + t.slice(e); },
    (t) => { const p = paragraphs(t); const e = p[p.length - 1]; return t.slice(0, e) + ` (B ${tag})` + t.slice(e); });
  assert(ra.url() === stack.url && rc.url() === stack.url, 'both land on the article');
  const raw = await rawText(stack);
  assert(raw.text.includes(`(A ${tag})`) && raw.text.includes(`(B ${tag})`), 'both changes stored');
  assert(a.problems.length === 0 && c.problems.length === 0, a.problems.concat(c.problems).join('; '));
});

test('two browsers, same words: a conflict page that can be resolved', async (b, stack) => {
  const tag = Date.now();
  const { c, rc } = await twoEditors(b, stack,
    (t) => { const e = paragraphs(t)[1]; return t.slice(0, e) + ` [theirs ${tag}]` + t.slice(e); },
    (t) => { const e = paragraphs(t)[1]; return t.slice(0, e) + ` [mine ${tag}]` + t.slice(e); });
  assert(rc.status() === 409, 'conflict status ' + rc.status());
  // Each conflict is listed above the form, theirs against yours.
  const listed = await c.$$eval('ol.conflicts li', (lis) => lis.map((li) => ({
    theirs: li.querySelector('del') ? li.querySelector('del').textContent : '',
    mine: li.querySelector('ins') ? li.querySelector('ins').textContent : '',
    where: li.querySelector('a') ? li.querySelector('a').textContent : '',
  })));
  assert(listed.length >= 1, 'conflicts listed');
  assert(listed.some((x) => x.theirs.includes(`theirs ${tag}`) && x.mine.includes(`mine ${tag}`)),
         'theirs vs yours: ' + JSON.stringify(listed));
  assert(listed.every((x) => /^Line \d+ of the draft$/.test(x.where)), 'linked to its line');
  await shot(c, 'conflict-1280');
  // Resolve: keep both, on the current text.
  const current = (await rawText(stack)).text;
  const e = paragraphs(current)[1];
  const resolved = current.slice(0, e) + ` [mine ${tag}]` + current.slice(e);
  await c.fill('textarea[name=text]', resolved);
  const r = await save(c, 'resolved');
  assert(r.url() === stack.url, 'resolution saved, landed on ' + r.url());
  const raw = await rawText(stack);
  assert(raw.text.includes(`[theirs ${tag}]`) && raw.text.includes(`[mine ${tag}]`), 'both kept');
  assert(c.problems.length === 0, c.problems.join('; '));
});

test('preview: rendered, nothing saved, text and summary kept; refusals as a save', async (b, stack) => {
  const page = await newPage(b, { width: 1280, height: 900 });
  await openEditor(page, stack);
  const before = await rawText(stack);
  const text = before.text + `<p>Previewed ${Date.now()}</p>\n`;
  await page.fill('textarea[name=text]', text);
  await page.fill('input[name=summary]', 'a summary kept');
  const [r] = await Promise.all([page.waitForNavigation(), page.click('#wpPreview')]);
  assert(r.status() === 200, 'preview status ' + r.status());
  assert(await page.$('#mw-content-text.preview p'), 'rendered preview');
  assert((await page.inputValue('textarea[name=text]')) === text, 'text kept');
  assert((await page.inputValue('input[name=summary]')) === 'a summary kept', 'summary kept');
  const after = await rawText(stack);
  assert(after.rev === before.rev && after.text === before.text, 'nothing saved');
  await shot(page, 'preview-1280');
  // A text a save would refuse: the same message, the text back in the form.
  const bad = text + '<script>alert(1)</script>';
  await page.fill('textarea[name=text]', bad);
  const [r2] = await Promise.all([page.waitForNavigation(), page.click('#wpPreview')]);
  assert(r2.status() === 422, 'refused preview status ' + r2.status());
  assert((await page.content()).includes('Not saved'), 'the refusal is shown');
  assert((await page.inputValue('textarea[name=text]')) === bad, 'refused text kept');
  assert((await rawText(stack)).rev === before.rev, 'still nothing saved');
  // The 422 itself is expected here; anything else is not.
  const others = page.problems.filter((p) => !p.startsWith('HTTP 422'));
  assert(others.length === 0, others.join('; '));
});

for (const width of [375, 1280]) {
  test(`${width} px: no sideways scrolling, labelled fields, a document language`, async (b, stack) => {
    const page = await newPage(b, { width, height: 800 });
    for (const q of ['', '?action=edit', '?action=history', '?diff=1', '?diff=cur&oldid=1']) {
      await page.goto(stack.url + q);
      const m = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        inner: window.innerWidth,
        lang: document.documentElement.lang,
        unlabelled: [...document.querySelectorAll('textarea, input:not([type=hidden]), select')]
          .filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label'))
          .map((el) => el.outerHTML.slice(0, 60)),
      }));
      await shot(page, `page${q.replace(/\W/g, '-') || '-read'}-${width}`);
      assert(m.scroll <= m.inner, `${q || 'read'}: page is ${m.scroll}px wide in a ${m.inner}px window`);
      assert(m.lang, `${q || 'read'}: no lang`);
      assert(m.unlabelled.length === 0, `${q || 'read'}: unlabelled ${m.unlabelled.join(', ')}`);
    }
    assert(page.problems.length === 0, page.problems.join('; '));
  });
}

async function main() {
  const stack = await startStack();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  let passed = 0, failed = 0;
  try {
    for (const c of cases) {
      try {
        await c.fn(browser, stack);
        console.log('ok - ' + c.name);
        passed++;
      } catch (e) {
        console.log('not ok - ' + c.name + ': ' + (e && e.message ? e.message : e));
        failed++;
      }
    }
  } finally {
    await browser.close();
    await stack.stop();
  }
  console.log(`screenshots in ${path.relative(ROOT, SHOTS)}/`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed === cases.length ? 0 : 1);
}

main().catch((e) => {
  console.log('browser tests could not run: ' + (e && e.stack ? e.stack : e));
  console.log(`0 passed, ${cases.length} failed`);
  process.exit(1);
});
