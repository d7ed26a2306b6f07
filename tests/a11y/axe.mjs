#!/usr/bin/env node
// Accessibility check of Miernik portal pages in headless Chromium.
//
// Usage:
//   node tests/a11y/axe.mjs [--screenshots DIR] [--indicator PATH] BASE_URL PATH [PATH ...]
//
//   BASE_URL   e.g. http://127.0.0.1:18080
//   PATH       e.g. /  /jst/0201011  /?q=a  /wskaznik/EDU_01
//              A path written as `404:/some/path` must answer 404 (the 404 page is
//              checked by axe too); every other path must answer 200.
//   --screenshots DIR   save full-page PNGs DIR/<name>-desktop.png and DIR/<name>-phone.png
//              (<name> from the path, with `-en` for the ?lang=en variant).
//   --indicator PATH    the indicator page(s) among the PATHs, for the keyboard test of its
//              ranking (repeatable; without it, every PATH starting with /wskaznik/).
//
// Each path is loaded 4 times: desktop (1280x800) and phone (390x844, mobile, touch), each
// in Polish (the path as given) and in English (`lang=en` appended to the query string).
// On each load:
//   - the HTTP status is checked (200, or 404 for `404:` paths);
//   - axe-core runs with the WCAG 2.0/2.1 A and AA rules and its best practices (tags wcag2a,
//     wcag2aa, wcag21a, wcag21aa, best-practice); every violated rule is printed with its
//     impact, help text, and the first 3 offending nodes (CSS target and HTML snippet);
//   - reflow (WCAG 1.4.10), on the phone loads: the page must not scroll sideways
//     (document.documentElement.scrollWidth <= window.innerWidth, and <= the 390 px the
//     viewport was given, as a mobile browser zooms out to an overflowing page); when it does, the widest
//     elements sticking out of the viewport (and not inside a scrolling box of their own)
//     are reported as a violation with id `reflow`;
//   - keyboard, on the indicator page: from the top, Tab to the skip link and press Enter,
//     then Tab until the focus lands in the ranking (its scroll region #ranking-tabela or
//     anything inside it); more than RANKING_TABS (15) presses is a violation with id
//     `keyboard-ranking`;
//   - keyboard: Tab is pressed up to TAB_PRESSES times (env A11Y_TABS, default 6); each
//     focused element must show a visible focus indicator (computed outline-style not
//     'none' with a non-zero width, or a box-shadow; for a link inside an SVG, such as a
//     map region, a change of its shapes' stroke/fill on focus counts too) and must lie at
//     least partly inside the viewport. Failures are reported as a violation with id `focus-visible`;
//   - Content-Security-Policy: every console message of the load that reports a blocked
//     resource or script (CSP) or a bad Permissions-Policy header, and every uncaught script
//     error, is a violation with id `csp` or `page-error`. axe itself is evaluated through the
//     DevTools protocol, which the page's policy does not govern (an injected inline
//     <script> would be refused).
//
// Output: one block per load, then `axe: N pages, V violations` where N counts loads
// (paths x 2 widths x 2 languages) and V counts violated rules summed over the loads
// (one rule failing on one load = 1, whatever the number of nodes), and last
// `a11y: P passed, F failed` (one test per load: passed = expected status and no
// violation), the plain closing line that CI reads as a test count.
// Exit status: 0 when V = 0 and every status was as expected; 1 otherwise; 2 on bad usage
// or when the browser cannot start.
//
// Env: CHROMIUM_PATH (default /usr/bin/chromium), A11Y_TABS (default 6), A11Y_VERBOSE=1
// (print every element the Tab presses focus, with its outline and position).

import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
export const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const TAB_PRESSES = Number.parseInt(process.env.A11Y_TABS || '6', 10);
const VERBOSE = process.env.A11Y_VERBOSE === '1';
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
// The most Tab presses after the skip link before the indicator page's ranking is reached.
const RANKING_TABS = 15;

const VIEWPORTS = [
  { name: 'desktop', options: { viewport: { width: 1280, height: 800 } } },
  {
    name: 'phone',
    options: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  },
];

function usage(msg) {
  if (msg) console.error(`axe.mjs: ${msg}`);
  console.error('usage: node tests/a11y/axe.mjs [--screenshots DIR] BASE_URL PATH [PATH ...]');
  console.error('       a PATH written as 404:/some/path must answer 404; others must answer 200');
  process.exit(2);
}

function parseArgs(argv) {
  let shots = null;
  const indicators = [];
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--screenshots') {
      if (i + 1 >= argv.length) usage('--screenshots needs a directory');
      shots = argv[++i];
    } else if (a.startsWith('--screenshots=')) {
      shots = a.slice('--screenshots='.length);
    } else if (a === '--indicator') {
      if (i + 1 >= argv.length) usage('--indicator needs a path');
      indicators.push(argv[++i]);
    } else if (a.startsWith('--indicator=')) {
      indicators.push(a.slice('--indicator='.length));
    } else if (a === '-h' || a === '--help') {
      usage();
    } else {
      rest.push(a);
    }
  }
  if (rest.length < 2) usage('need a BASE_URL and at least one PATH');
  const base = rest[0].replace(/\/+$/, '');
  if (!/^https?:\/\//.test(base)) usage(`BASE_URL must start with http:// or https:// (got ${rest[0]})`);
  const pages = rest.slice(1).map((p) => {
    let expected = 200;
    const m = /^(\d{3}):(.*)$/.exec(p);
    if (m) {
      expected = Number(m[1]);
      p = m[2];
    }
    if (!p.startsWith('/')) p = `/${p}`;
    const indicator = indicators.length ? indicators.includes(p) : p.startsWith('/wskaznik/');
    return { path: p, expected, indicator };
  });
  return { base, pages, shots };
}

// `lang=en` added to the query string, keeping any existing query and fragment.
function withLangEn(p) {
  const hashAt = p.indexOf('#');
  const hash = hashAt >= 0 ? p.slice(hashAt) : '';
  const noHash = hashAt >= 0 ? p.slice(0, hashAt) : p;
  const qAt = noHash.indexOf('?');
  if (qAt < 0) return `${noHash}?lang=en${hash}`;
  const query = noHash.slice(qAt + 1);
  const params = query.split('&').filter((kv) => kv !== '' && !/^lang(=|$)/.test(kv));
  params.push('lang=en');
  return `${noHash.slice(0, qAt)}?${params.join('&')}${hash}`;
}

// A file-name-safe name for a path: "/" -> home, "/jst/02" -> jst-02, "/?q=a" -> home-q-a.
function slug(p) {
  const [pathname, query = ''] = p.split('#')[0].split('?');
  let s = pathname.replace(/^\/+|\/+$/g, '').replace(/[^A-Za-z0-9_.-]+/g, '-');
  if (s === '') s = 'home';
  const q = query
    .split('&')
    .filter((kv) => kv && !/^lang(=|$)/.test(kv))
    .join('-')
    .replace(/[^A-Za-z0-9_.-]+/g, '-');
  if (q) s += `-${q}`;
  return s.replace(/-+/g, '-').slice(0, 120);
}

function shorten(s, n = 200) {
  s = String(s).replace(/\s+/g, ' ').trim();
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

// Tab through the page and check the focus indicator of each focused element.
export async function checkFocus(page) {
  const failures = [];
  const seen = new Set();
  // Start from the top of the document, with nothing focused.
  await page.evaluate(() => {
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    window.scrollTo(0, 0);
  });
  for (let i = 0; i < TAB_PRESSES; i++) {
    await page.keyboard.press('Tab');
    const info = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body || el === document.documentElement) return null;
      const cs = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      const vw = window.innerWidth;
      const vh = window.innerHeight;
      const ow = Number.parseFloat(cs.outlineWidth) || 0;
      const outline = cs.outlineStyle !== 'none' && cs.outlineStyle !== 'hidden' && (ow > 0 || cs.outlineStyle === 'auto');
      const shadow = cs.boxShadow && cs.boxShadow !== 'none';
      // A link inside an SVG (a map region) usually shows focus by restyling its shape
      // (stroke, fill) rather than by an outline: accept a change of those on focus.
      let svgRestyle = false;
      if (!outline && !shadow && el instanceof SVGElement) {
        const shapes = [el, ...el.querySelectorAll('*')].slice(0, 5);
        const look = () =>
          shapes.map((n) => {
            const c = getComputedStyle(n);
            return [c.stroke, c.strokeWidth, c.fill, c.opacity, c.outlineStyle].join('|');
          }).join(';');
        const focused = look();
        el.blur();
        const blurred = look();
        el.focus();
        svgRestyle = focused !== blurred;
      }
      const onScreen = r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 && r.left < vw && r.top < vh;
      let sel = el.tagName.toLowerCase();
      if (el.id) sel += `#${el.id}`;
      else if (el.classList.length) sel += `.${[...el.classList].join('.')}`;
      if (el.getAttribute('href')) sel += `[href="${el.getAttribute('href')}"]`;
      const html = el.outerHTML;
      return {
        sel,
        html: html.length > 300 ? html.slice(0, 300) : html,
        outline,
        shadow,
        svgRestyle,
        onScreen,
        style: `outline: ${cs.outlineStyle} ${cs.outlineWidth}; box-shadow: ${cs.boxShadow}`,
        rect: `${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}x${Math.round(r.height)}`,
      };
    });
    if (!info) break; // focus left the document or nothing is focusable
    if (VERBOSE) console.log(`    focus ${i + 1}: ${info.sel} (${info.style}${info.svgRestyle ? '; svg shape restyled' : ''}; at ${info.rect})`);
    if (seen.has(info.sel + info.html)) break; // wrapped around
    seen.add(info.sel + info.html);
    const problems = [];
    if (!info.outline && !info.shadow && !info.svgRestyle) problems.push(`no outline or box-shadow (${info.style})`);
    if (!info.onScreen) problems.push(`focused element is outside the viewport (${info.rect})`);
    if (problems.length) failures.push({ target: `Tab ${i + 1}: ${info.sel}`, html: info.html, why: problems.join('; ') });
  }
  return failures;
}

// Reflow: the page must not be wider than the viewport. On failure, the widest elements
// that stick out (leaving out those inside a box that scrolls or clips sideways, whose
// overflow does not widen the page) with their right edge and width. The width is the one
// the viewport was given: a mobile browser zooms out to show an overflowing page whole,
// and then window.innerWidth grows with it.
export async function checkReflow(page) {
  const width = page.viewportSize().width;
  const r = await page.evaluate((width) => {
    const vw = Math.min(window.innerWidth, width);
    const sw = document.documentElement.scrollWidth;
    if (sw <= vw) return { ok: true, sw, vw, offenders: [] };
    const clipped = (el) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const ox = getComputedStyle(p).overflowX;
        if (ox === 'auto' || ox === 'scroll' || ox === 'hidden' || ox === 'clip') return true;
      }
      return false;
    };
    const offenders = [];
    for (const el of document.body.querySelectorAll('*')) {
      const b = el.getBoundingClientRect();
      if (b.width === 0 || b.right <= vw + 0.5 || clipped(el)) continue;
      let sel = el.tagName.toLowerCase();
      if (el.id) sel += `#${el.id}`;
      else if (typeof el.className === 'string' && el.className.trim()) sel += `.${el.className.trim().split(/\s+/).join('.')}`;
      const html = el.outerHTML;
      offenders.push({ sel, right: Math.round(b.right), width: Math.round(b.width), html: html.length > 200 ? html.slice(0, 200) : html });
    }
    offenders.sort((a, b) => b.width - a.width);
    return { ok: false, sw, vw, offenders: offenders.slice(0, 5) };
  }, width);
  return r;
}

// Keyboard: from the top, the skip link and Enter, then Tab until the ranking has the focus.
async function checkRankingTabs(page) {
  await page.evaluate(() => {
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    window.scrollTo(0, 0);
  });
  await page.keyboard.press('Tab');
  const skip = await page.evaluate(() => {
    const el = document.activeElement;
    return el && el.classList.contains('skip') ? el.getAttribute('href') : null;
  });
  if (!skip) return { ok: false, why: 'the first Tab does not reach the skip link (a.skip)' };
  await page.keyboard.press('Enter');
  const limit = 40;
  for (let n = 1; n <= limit; n++) {
    await page.keyboard.press('Tab');
    const where = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return { inRanking: false, sel: 'body' };
      const inRanking = !!el.closest('#ranking-tabela');
      let sel = el.tagName.toLowerCase();
      if (el.id) sel += `#${el.id}`;
      if (el.getAttribute('href')) sel += `[href="${el.getAttribute('href')}"]`;
      return { inRanking, sel };
    });
    if (where.inRanking) return { ok: n <= RANKING_TABS, presses: n, why: `the ranking is reached after ${n} Tab presses (at most ${RANKING_TABS})` };
  }
  return { ok: false, why: `the ranking (#ranking-tabela) is not reached in ${limit} Tab presses after the skip link` };
}

async function main() {
  const { base, pages, shots } = parseArgs(process.argv.slice(2));
  if (shots) mkdirSync(shots, { recursive: true });

  let browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  } catch (e) {
    console.error(`axe.mjs: cannot start Chromium at ${CHROMIUM}: ${e.message}`);
    process.exit(2);
  }

  let loads = 0;
  let violations = 0;
  let nodes = 0;
  const statusErrors = [];
  const byRule = new Map();
  const failedLoads = new Set(); // labels of loads with a violation or an unexpected status

  try {
    for (const vp of VIEWPORTS) {
      const context = await browser.newContext({ ...vp.options, locale: 'pl-PL' });
      const page = await context.newPage();
      page.setDefaultTimeout(30000);
      // What the browser reports during a load: policy violations and uncaught errors.
      let reported = [];
      page.on('console', (msg) => {
        const text = msg.text();
        if (/Content[ -]Security[ -]Policy|Permissions-Policy/i.test(text)) reported.push({ id: 'csp', text });
      });
      page.on('pageerror', (err) => reported.push({ id: 'page-error', text: String(err && err.message ? err.message : err) }));
      for (const { path: p, expected, indicator } of pages) {
        for (const lang of ['pl', 'en']) {
          const urlPath = lang === 'en' ? withLangEn(p) : p;
          const url = base + urlPath;
          const label = `[${vp.name} ${lang}] ${urlPath}`;
          loads++;
          let status = null;
          // Each load starts fresh: no language (or other) cookie left by the previous one.
          await context.clearCookies();
          reported = [];
          try {
            const resp = await page.goto(url, { waitUntil: 'load', timeout: 30000 });
            status = resp ? resp.status() : null;
          } catch (e) {
            console.log(`${label}: LOAD FAILED: ${shorten(e.message, 300)}`);
            statusErrors.push(`${label}: load failed`);
            failedLoads.add(label);
            continue;
          }
          const statusOk = status === expected;
          if (!statusOk) {
            statusErrors.push(`${label}: status ${status}, expected ${expected}`);
            failedLoads.add(label);
          }

          if (shots) {
            const name = slug(p) + (lang === 'en' ? '-en' : '');
            await page.screenshot({ path: path.join(shots, `${name}-${vp.name}.png`), fullPage: true });
          }

          await page.evaluate(AXE_SOURCE);
          const result = await page.evaluate(
            (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
            WCAG_TAGS,
          );
          const found = result.violations.map((v) => ({
            id: v.id,
            impact: v.impact || 'n/a',
            help: v.help,
            helpUrl: v.helpUrl,
            count: v.nodes.length,
            nodes: v.nodes.slice(0, 3).map((n) => ({
              target: n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(' '),
              html: n.html,
            })),
          }));
          if (vp.name === 'phone') {
            const reflow = await checkReflow(page);
            if (!reflow.ok) {
              found.push({
                id: 'reflow',
                impact: 'serious',
                help: `The page scrolls sideways at ${reflow.vw} px: it is ${reflow.sw} px wide (WCAG 1.4.10 Reflow)`,
                helpUrl: 'https://www.w3.org/WAI/WCAG21/Understanding/reflow.html',
                count: reflow.offenders.length || 1,
                nodes: reflow.offenders.map((o) => ({ target: `${o.sel} (right edge ${o.right} px, ${o.width} px wide)`, html: o.html })),
              });
            }
          }
          if (indicator && expected === 200) {
            const kb = await checkRankingTabs(page);
            console.log(`  keyboard: ${kb.why || `ranking after ${kb.presses} Tab presses`}`);
            if (!kb.ok) {
              found.push({
                id: 'keyboard-ranking',
                impact: 'serious',
                help: `The ranking must be reached in at most ${RANKING_TABS} Tab presses after the skip link`,
                helpUrl: 'https://www.w3.org/WAI/WCAG21/Understanding/bypass-blocks.html',
                count: 1,
                nodes: [{ target: kb.why, html: '' }],
              });
            }
          }
          const focus = await checkFocus(page);
          if (focus.length) {
            found.push({
              id: 'focus-visible',
              impact: 'serious',
              help: 'Keyboard focus must be visible (outline or box-shadow) and on screen',
              helpUrl: 'https://www.w3.org/WAI/WCAG21/Understanding/focus-visible.html',
              count: focus.length,
              nodes: focus.slice(0, 3).map((f) => ({ target: `${f.target} — ${f.why}`, html: f.html })),
            });
          }

          for (const id of ['csp', 'page-error']) {
            const mine = reported.filter((r) => r.id === id);
            if (!mine.length) continue;
            found.push({
              id,
              impact: 'serious',
              help: id === 'csp' ? 'The browser reports a Content-Security-Policy or Permissions-Policy problem' : 'A script of the page fails',
              helpUrl: 'https://developer.mozilla.org/docs/Web/HTTP/CSP',
              count: mine.length,
              nodes: mine.slice(0, 3).map((r) => ({ target: shorten(r.text, 300), html: '' })),
            });
          }
          const head = `${label}: status ${status}${statusOk ? '' : ` (EXPECTED ${expected})`}, ${found.length} violation${found.length === 1 ? '' : 's'}`;
          console.log(head);
          if (found.length) failedLoads.add(label);
          for (const v of found) {
            violations++;
            nodes += v.count;
            const r = byRule.get(v.id) || { impact: v.impact, loads: 0, nodes: 0, example: `${label}: ${v.nodes[0] ? v.nodes[0].target : ''}` };
            r.loads++;
            r.nodes += v.count;
            byRule.set(v.id, r);
            console.log(`  - ${v.id} [${v.impact}] ${v.help} (${v.count} node${v.count === 1 ? '' : 's'}) ${v.helpUrl}`);
            for (const n of v.nodes) {
              console.log(`      target: ${n.target}`);
              console.log(`      html:   ${shorten(n.html)}`);
            }
          }
        }
      }
      await context.close();
    }
  } finally {
    await browser.close();
  }

  if (byRule.size) {
    console.log(`violations by rule (${nodes} offending nodes in all):`);
    for (const [id, r] of [...byRule.entries()].sort((a, b) => b[1].nodes - a[1].nodes)) {
      console.log(`  ${id} [${r.impact}]: ${r.loads} page load(s), ${r.nodes} node(s); e.g. ${r.example}`);
    }
  }
  if (statusErrors.length) {
    console.log(`unexpected status on ${statusErrors.length} page load(s):`);
    for (const s of statusErrors) console.log(`  ${s}`);
  }
  console.log(`axe: ${loads} pages, ${violations} violations`);
  // The plain closing line CI reads as a test count: one test per page load.
  console.log(`a11y: ${loads - failedLoads.size} passed, ${failedLoads.size} failed`);
  process.exit(violations > 0 || statusErrors.length > 0 ? 1 : 0);
}

// Run when executed (tests/e2e/e2e.mjs imports the checks above without running this).
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e) => {
    console.error(`axe.mjs: ${e.stack || e}`);
    process.exit(2);
  });
}
