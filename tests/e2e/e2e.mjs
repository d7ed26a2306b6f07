#!/usr/bin/env node
// End-to-end run of data collection (issue 17) in headless Chromium, against a running
// `miernik` (started by .ci/e2e on a temporary database, with the users made by the CLI):
//
//   1. the administrator logs in and creates a campaign from a form file (upload of
//      catalogue/forms/oswiata.toml) for one gmina, with its deadline and publication date in
//      the past (so that an approval publishes at once);
//   2. the data-entry user logs in, opens the gmina's questionnaire from /ankiety, types a
//      bad number and leaves a required field empty, saves: the error summary is shown, and
//      its first link puts the focus on the field; corrects, saves a draft, submits
//      (explaining warnings in the comment boxes if the page asks);
//   3. the verifier opens it from /weryfikacja and returns it with a comment;
//   4. the data-entry user sees the comment, changes a value and submits again;
//   5. the verifier approves;
//   6. after logging out, the public unit card shows the value (indicator EDU_22, transported
//      pupils per 100 pupils, made of the entered values), once the snapshot is rebuilt;
//   7. the administrator's audit page /admin/audyt lists every step with its user;
//   8. the improvement cycle (issue 18), as the demo's approver of its gmina (--approver,
//      --cycle-unit): the unit card's diagnosis → a weakness marked as a priority → a new
//      action in the plan → a target accepted from the peers' proposals → the plan page shows
//      each target's progress → the register of reorganisations → a re-evaluation page
//      (before/after against peers, placebo interval) → good practices and a functional area.
//
// Each step is screenshotted at 1280 px and 390 px (DIR/NN-step-desktop.png, -phone.png);
// axe-core (WCAG 2.1 A/AA + best practices, the rules of tests/a11y/axe.mjs) and the 390 px
// reflow check run on every new page, in Polish and in English, desktop and phone.
//
// Usage: node tests/e2e/e2e.mjs BASE_URL --unit TERYT --form FILE --year YYYY
//          --admin LOGIN:PASSWORD --entry LOGIN:PASSWORD --verifier LOGIN:PASSWORD
//          [--approver LOGIN:PASSWORD --cycle-unit TERYT] [--screenshots DIR]
// Output: one line per check (`ok` / `FAIL`), then `e2e: P passed, F failed`.
// Exit status: 0 when every check passed, 1 otherwise, 2 on bad usage or no browser.

import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'a11y', 'package.json'));
const { chromium } = require('playwright-core');
const { AXE_SOURCE, WCAG_TAGS, checkReflow, checkFocus } = await import(path.join(here, '..', 'a11y', 'axe.mjs'));

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

function usage(msg) {
  if (msg) console.error(`e2e.mjs: ${msg}`);
  console.error('usage: node tests/e2e/e2e.mjs BASE_URL --unit TERYT --form FILE --year YYYY --admin L:P --entry L:P --verifier L:P [--screenshots DIR]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { shots: null };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--(unit|form|year|admin|entry|verifier|approver|cycle-unit|screenshots)$/.exec(a);
    if (m) {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      o[{ screenshots: 'shots', 'cycle-unit': 'cycleUnit' }[m[1]] || m[1]] = argv[++i];
    } else rest.push(a);
  }
  if (rest.length !== 1) usage('need one BASE_URL');
  o.base = rest[0].replace(/\/+$/, '');
  for (const k of ['unit', 'form', 'year', 'admin', 'entry', 'verifier']) if (!o[k]) usage(`--${k} is required`);
  for (const k of ['admin', 'entry', 'verifier', 'approver']) {
    if (!o[k]) continue;
    const at = o[k].indexOf(':');
    if (at < 1) usage(`--${k} must be LOGIN:PASSWORD`);
    o[k] = { login: o[k].slice(0, at), password: o[k].slice(at + 1) };
  }
  if (!o.shots) o.shots = mkdtempSync(path.join(os.tmpdir(), 'miernik-e2e-'));
  return o;
}

const opts = parseArgs(process.argv.slice(2));
mkdirSync(opts.shots, { recursive: true });

let passed = 0;
let failed = 0;
const failures = [];
function check(ok, what, detail = '') {
  if (ok) {
    passed++;
    console.log(`ok   ${what}`);
  } else {
    failed++;
    failures.push(`${what}${detail ? `: ${detail}` : ''}`);
    console.log(`FAIL ${what}${detail ? `: ${detail}` : ''}`);
  }
  return ok;
}
class Stop extends Error {}
function must(ok, what, detail) {
  if (!check(ok, what, detail)) throw new Stop(what);
}

function withLang(p, en) {
  const [noHash, hash = ''] = p.split('#');
  const [pathname, query = ''] = noHash.split('?');
  const params = query.split('&').filter((kv) => kv && !/^lang(=|$)/.test(kv));
  if (en) params.push('lang=en');
  return `${pathname}${params.length ? `?${params.join('&')}` : ''}${hash ? `#${hash}` : ''}`;
}

let shotNo = 0;
async function shot(page, name) {
  shotNo++;
  const base = path.join(opts.shots, `${String(shotNo).padStart(2, '0')}-${name}`);
  const vp = page.viewportSize();
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: `${base}-desktop.png`, fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: `${base}-phone.png`, fullPage: true });
  await page.setViewportSize(vp || DESKTOP);
}

// axe + reflow + focus on the page as it is now, at both widths.
async function axeHere(page, label) {
  const vp = page.viewportSize();
  for (const [name, size] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    await page.setViewportSize(size);
    await page.evaluate(AXE_SOURCE);
    const result = await page.evaluate(
      (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
      WCAG_TAGS,
    );
    const found = result.violations.map((v) => `${v.id} [${v.impact}] ${v.help}: ${v.nodes.slice(0, 2).map((n) => n.target.join(' ')).join(', ')}`);
    if (name === 'phone') {
      const r = await checkReflow(page);
      if (!r.ok) found.push(`reflow: ${r.sw} px wide at ${r.vw} px (${r.offenders.slice(0, 2).map((o) => o.sel).join(', ')})`);
    }
    const focus = await checkFocus(page);
    for (const f of focus.slice(0, 2)) found.push(`focus-visible: ${f.target} — ${f.why}`);
    check(found.length === 0, `axe ${label} [${name}]`, found.join('; '));
  }
  await page.setViewportSize(vp || DESKTOP);
}

// axe on a page by its address, in Polish and in English (each at both widths); returns to
// the Polish page. Pages answering another status than `status` fail.
const axeSeen = new Set();
async function axeUrl(page, p, status = 200) {
  const key = `${status} ${p.replace(/\/\d+(?=\/|$|\?)/g, '/N')}`;
  if (axeSeen.has(key)) return;
  axeSeen.add(key);
  for (const en of [false, true]) {
    const resp = await page.goto(opts.base + withLang(p, en));
    check(resp && resp.status() === status, `GET ${withLang(p, en)} answers ${status}`, `got ${resp && resp.status()}`);
    await axeHere(page, `${withLang(p, en)}`);
  }
  await page.goto(opts.base + p);
}

async function login(page, who) {
  await page.goto(`${opts.base}/logowanie`);
  await page.fill('#login', who.login);
  await page.fill('#haslo', who.password);
  await Promise.all([page.waitForLoadState('load'), page.click('form[action^="/logowanie"] button[type=submit]')]);
  must(new URL(page.url()).pathname === '/konto', `${who.login} logs in and lands on /konto`, page.url());
}

async function logout(page) {
  await page.goto(`${opts.base}/konto`);
  await Promise.all([page.waitForLoadState('load'), page.click('form[action^="/wyloguj"] button[type=submit]')]);
}

async function submitWith(page, value) {
  await Promise.all([page.waitForLoadState('load'), page.click(`button[name=akcja][value=${value}]`)]);
}

// The number of "Rok poprzedni (YYYY): 1 234,5 · …", or null.
function lastYearOf(text) {
  const m = /\):\s*([-\d\s\u00a0\u202f]+(?:,\d+)?)\s*·/.exec(text || '');
  if (!m) return null;
  const n = Number(m[1].replace(/[\s\u00a0\u202f]/g, '').replace(',', '.'));
  return Number.isFinite(n) ? n : null;
}

// Values that keep the form's rules and last year's values (no change warning) where known.
function valuesFor(last) {
  const U = last.uczniowie_sp ?? 1000;
  const atMost = (v, max) => (v == null || v > max ? null : v);
  const gmina = atMost(last.uczniowie_sp_gmina, U) ?? Math.round(U * 0.9);
  return {
    uczniowie_sp: U,
    uczniowie_sp_gmina: gmina,
    oddzialy_sp: atMost(last.oddzialy_sp, U) ?? Math.max(1, Math.round(U / 20)),
    nauczyciele_sp_etaty: last.nauczyciele_sp_etaty ?? Math.max(1, Math.round(U / 10)),
    uczniowie_sp_orzeczenia: atMost(last.uczniowie_sp_orzeczenia, gmina) ?? Math.round(gmina * 0.05),
    dowozeni_sp: Math.round(U * 0.371),
    miejsca_przedszkola: last.miejsca_przedszkola ?? Math.round(U * 0.3),
    wydatki_biezace_sp_gmina: last.wydatki_biezace_sp_gmina ?? U * 12000,
  };
}

const plNum = (v) => String(v).replace('.', ',');

async function fillAll(page, values) {
  for (const [k, v] of Object.entries(values)) {
    const sel = `#pole-${k}`;
    if (await page.$(sel)) await page.fill(sel, plNum(v));
  }
}

// Explains every warning that asks for a comment (the page shows those boxes open).
async function explainWarnings(page) {
  const boxes = await page.$$('.ank-field textarea[name^="k."]:visible');
  let n = 0;
  for (const b of boxes) {
    if ((await b.inputValue()).trim() === '') {
      await b.fill('Zmiana potwierdzona w SIO (test e2e).');
      n++;
    }
  }
  return n;
}

// 8. The improvement cycle (issue 18) on the demo, as the approver of its gmina.
async function cycle(page) {
  const unit = opts.cycleUnit;
  const base = `/jst/${unit}`;
  await login(page, opts.approver);
  // The diagnosis on the unit card, and the way from it to the priorities.
  let r = await page.goto(`${opts.base}${base}`);
  must(r && r.status() === 200, `the unit card ${base} answers 200 to the approver`);
  const card = await page.textContent('main');
  check(/Diagnoza|Mocne|Słab/i.test(card), 'the unit card shows the diagnosis');
  check(/Plan poprawy/.test(card), 'the unit card has the improvement-plan section');
  await shot(page, 'cykl-karta');
  r = await page.goto(`${opts.base}${base}/priorytety`);
  must(r && r.status() === 200, `${base}/priorytety answers 200 to the approver`);
  await axeUrl(page, `${base}/priorytety`);
  await shot(page, 'cykl-priorytety');
  // The first weakness not yet a priority: a note, then "Ustaw jako priorytet".
  const forms = await page.$$('form:has(input[name=wskaznik][type=hidden]):has(textarea[name=notatka])');
  must(forms.length > 0, 'the priorities page offers weaknesses to choose');
  const chosen = await forms[0].$eval('input[name=wskaznik]', (e) => e.value);
  await (await forms[0].$('textarea[name=notatka]')).fill('Priorytet z testu E2E');
  await Promise.all([page.waitForLoadState('load'), (await forms[0].$('button[type=submit]')).click()]);
  check((await page.textContent('main')).includes('Priorytet z testu E2E'), `the weakness ${chosen} is a priority with its note`);
  await shot(page, 'cykl-priorytet-dodany');
  // A new action in the plan.
  r = await page.goto(`${opts.base}${base}/plan`);
  must(r && r.status() === 200, `${base}/plan answers 200`);
  // The demo's gmina has a public plan already (seeded by the demo).
  const title = `Działanie E2E ${Date.now() % 100000}`;
  must(await page.$('#dz-tytul') !== null, 'the plan page has the form to add an action');
  await page.fill('#dz-tytul', title);
  await page.fill('#dz-od', '2025');
  await page.fill('#dz-do', '2028');
  await Promise.all([page.waitForLoadState('load'), page.click('form:has(#dz-tytul) button[type=submit]')]);
  const planText = await page.textContent('main');
  must(planText.includes(title), 'the new action is in the plan');
  // Its target helper: the chosen priority's indicator, the proposals from the peers.
  const setTarget = page.locator('a', { hasText: /Ustaw cel/ }).filter({ hasText: title }).first();
  must(await setTarget.count() > 0, 'the new action has a "Ustaw cel" link');
  const href = await setTarget.getAttribute('href');
  const sep = href.includes('?') ? '&' : '?';
  r = await page.goto(`${opts.base}${href}${sep}wskaznik=${encodeURIComponent(chosen)}&rok=2028`);
  must(r && r.status() === 200, 'the target helper answers 200');
  const props = await page.$$('#propozycje ~ div table tbody tr');
  must(props.length >= 3, 'the target helper proposes targets from the peers', `${props.length} rows`);
  await axeUrl(page, new URL(page.url()).pathname + new URL(page.url()).search);
  await shot(page, 'cykl-propozycje-celu');
  await Promise.all([page.waitForLoadState('load'), page.click('#propozycje ~ div table tbody tr form button[type=submit]')]);
  const afterTarget = await page.textContent('main');
  check(new URL(page.url()).pathname.endsWith('/plan'), 'accepting a proposal returns to the plan', page.url());
  check(/na dobrej drodze|poniżej ścieżki|brak danych/.test(afterTarget), 'the plan shows the progress of targets');
  await axeUrl(page, `${base}/plan`);
  await shot(page, 'cykl-plan');
  // The plan's downloads.
  const csv = await page.request.get(`${opts.base}${base}/plan.csv`);
  check(csv.status() === 200 && (await csv.text()).includes(chosen), 'plan.csv lists the new target');
  // Reorganisations and a re-evaluation against peers.
  r = await page.goto(`${opts.base}/reorganizacje`);
  must(r && r.status() === 200, '/reorganizacje answers 200');
  await axeUrl(page, '/reorganizacje');
  const reorg = await page.$('main a[href*="/reorganizacje/"]:not([href$="nowa"])');
  must(reorg !== null, 'the register lists a reorganisation');
  await Promise.all([page.waitForLoadState('load'), reorg.click()]);
  await axeUrl(page, new URL(page.url()).pathname);
  await shot(page, 'cykl-reorganizacja');
  const evalLink = await page.$('main a[href*="/ocena?"]');
  must(evalLink !== null, 'the reorganisation links its re-evaluation');
  await Promise.all([page.waitForLoadState('load'), evalLink.click()]);
  const ev = await page.textContent('main');
  check(/przedział|interval/i.test(ev) && /grup/i.test(ev), 'the re-evaluation page shows the estimate against peers with its interval');
  check(/wyraźnie (lepsza|gorsza)|nie odróżnia się od zmian w grupie/.test(ev), 'the re-evaluation page says in words whether the change stands out');
  check((await page.$$('main table')).length >= 1 && (await page.$$('main svg')).length >= 1, 'the re-evaluation has a chart and a table');
  await axeUrl(page, new URL(page.url()).pathname + new URL(page.url()).search);
  await shot(page, 'cykl-ocena');
  // Learn from the best: practices, and a functional area's card.
  for (const p of ['/dobre-praktyki', '/obszary-funkcjonalne']) {
    r = await page.goto(`${opts.base}${p}`);
    if (check(r && r.status() === 200, `${p} answers 200`)) await axeUrl(page, p);
  }
  const area = await page.$('main a[href^="/obszary-funkcjonalne/"]');
  if (check(area !== null, 'a functional area is listed')) {
    await Promise.all([page.waitForLoadState('load'), area.click()]);
    await axeUrl(page, new URL(page.url()).pathname);
    await shot(page, 'cykl-obszar-funkcjonalny');
  }
}

async function main() {
  let browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  } catch (e) {
    console.error(`e2e.mjs: cannot start Chromium at ${CHROMIUM}: ${e.message}`);
    process.exit(2);
  }
  const errors = [];
  const newPage = async () => {
    const ctx = await browser.newContext({ viewport: DESKTOP, locale: 'pl-PL' });
    const page = await ctx.newPage();
    page.setDefaultTimeout(30000);
    page.on('pageerror', (e) => errors.push(String(e.message || e)));
    page.on('console', (m) => {
      if (/Content[ -]Security[ -]Policy/i.test(m.text())) errors.push(m.text());
    });
    return page;
  };
  const unitPath = `/jst/${opts.unit}`;
  let campaignId = null;
  let entryPath = null;
  let values = null;
  try {
    // --- 0. the login page, as anyone sees it -------------------------------------------
    const anon = await newPage();
    await axeUrl(anon, '/logowanie');
    await shot(anon, 'logowanie');
    const card0 = await anon.goto(opts.base + unitPath);
    must(card0 && card0.status() === 200, `the public card ${unitPath} answers 200`);

    // --- 1. the administrator creates the campaign ---------------------------------------
    const admin = await newPage();
    await login(admin, opts.admin);
    await axeUrl(admin, '/konto');
    await shot(admin, 'admin-konto');
    await admin.goto(`${opts.base}/admin/ankiety/nowa`);
    await axeUrl(admin, '/admin/ankiety/nowa');
    const day = (d) => new Date(Date.now() + d * 86400000).toISOString().slice(0, 10);
    const name = `Oświata ${opts.year} (e2e)`;
    await admin.fill('#nazwa', name);
    await admin.fill('#rok', String(opts.year));
    await admin.fill('#termin', day(-2));
    await admin.fill('#publikacja', day(-1));
    await admin.fill('#jednostki', opts.unit);
    await admin.setInputFiles('#plik', opts.form);
    await shot(admin, 'admin-nowa-kampania');
    await Promise.all([admin.waitForLoadState('load'), admin.click('form[action^="/admin/ankiety/nowa"] button[type=submit]')]);
    const m = /\/ankiety\/(\d+)/.exec(admin.url());
    must(m, 'the campaign is created (redirect to its dashboard)', `${admin.url()} ${(await admin.textContent('main')).slice(0, 400)}`);
    campaignId = m[1];
    entryPath = `/ankiety/${campaignId}/jst/${opts.unit}`;
    const dash = await admin.textContent('main');
    check(dash.includes(opts.unit), 'the dashboard lists the unit', dash.slice(0, 300));
    await axeUrl(admin, `/ankiety/${campaignId}`);
    await shot(admin, 'admin-dashboard');

    // --- 2. data entry: errors, draft, submit --------------------------------------------
    const entry = await newPage();
    await login(entry, opts.entry);
    await entry.goto(`${opts.base}/ankiety`);
    await axeUrl(entry, '/ankiety');
    await shot(entry, 'wprowadza-ankiety');
    const link = await entry.$(`a[href^="${entryPath}"]`);
    must(link, '/ankiety links the unit\'s questionnaire');
    await Promise.all([entry.waitForLoadState('load'), link.click()]);
    must(new URL(entry.url()).pathname === entryPath, 'the link opens the entry page', entry.url());
    await axeUrl(entry, entryPath);
    const last = {};
    for (const el of await entry.$$('p.ctx[id$="-kontekst"]')) {
      const id = (await el.getAttribute('id')).replace(/^pole-/, '').replace(/-kontekst$/, '');
      const v = lastYearOf(await el.textContent());
      if (v != null) last[id] = v;
    }
    console.log(`     last year's values on the page: ${JSON.stringify(last)}`);
    values = valuesFor(last);
    await fillAll(entry, values);
    await entry.fill('#pole-uczniowie_sp', 'dużo');
    await entry.fill('#pole-dowozeni_sp', '');
    await submitWith(entry, 'zapisz');
    const summary = await entry.$('#podsumowanie');
    must(summary && (await summary.isVisible()), 'after saving bad values the error summary is visible');
    const summaryText = await summary.textContent();
    check(/uczni/i.test(summaryText), 'the summary names the bad field', summaryText.slice(0, 300));
    check((await entry.getAttribute('#pole-uczniowie_sp', 'aria-invalid')) === 'true', 'the bad field has aria-invalid');
    check((await entry.inputValue('#pole-uczniowie_sp')) === 'dużo', 'what was typed is kept');
    await shot(entry, 'wprowadza-bledy');
    await axeHere(entry, 'the entry page with the error summary');
    const first = await entry.$('#podsumowanie a[href="#pole-uczniowie_sp"]');
    must(first, 'the summary links to #pole-uczniowie_sp');
    await first.click();
    await entry.waitForTimeout(200);
    const focused = await entry.evaluate(() => document.activeElement && document.activeElement.id);
    check(focused === 'pole-uczniowie_sp', 'the summary link puts the focus on the field', `focus on #${focused}`);
    // Correct, save a draft, submit.
    await fillAll(entry, values);
    await submitWith(entry, 'zapisz');
    check(/komunikat=zapisano/.test(entry.url()), 'the draft is saved (PRG to ?komunikat=zapisano)', entry.url());
    check((await entry.textContent('main')).includes('Zapisano wersję roboczą'), 'the page says the draft is saved');
    await shot(entry, 'wprowadza-szkic');
    await submitWith(entry, 'wyslij');
    if (!/komunikat=wyslano/.test(entry.url())) {
      const n = await explainWarnings(entry);
      console.log(`     submission asked for ${n} comment(s) on warnings`);
      await shot(entry, 'wprowadza-ostrzezenia');
      await axeHere(entry, 'the entry page with warnings');
      await submitWith(entry, 'wyslij');
    }
    must(/komunikat=wyslano/.test(entry.url()), 'the questionnaire is submitted', `${entry.url()} ${(await entry.textContent('main')).slice(0, 500)}`);
    await shot(entry, 'wprowadza-wyslano');

    // --- 3. the verifier returns it -------------------------------------------------------
    const verifier = await newPage();
    await login(verifier, opts.verifier);
    await verifier.goto(`${opts.base}/weryfikacja`);
    await axeUrl(verifier, '/weryfikacja');
    must(await verifier.$(`a[href^="${entryPath}"]`), 'the verifier\'s queue lists the submission');
    await shot(verifier, 'weryfikator-kolejka');
    await verifier.click(`a[href^="${entryPath}"]`);
    await verifier.waitForLoadState('load');
    await axeUrl(verifier, entryPath);
    await shot(verifier, 'weryfikator-ankieta');
    // A return without a comment is refused with a message at the box.
    await submitWith(verifier, 'zwroc');
    check((await verifier.getAttribute('#komentarz', 'aria-invalid')) === 'true', 'a return without a comment is refused at the comment box');
    const comment = 'Proszę sprawdzić liczbę uczniów dowożonych (e2e).';
    await verifier.fill('#komentarz', comment);
    await submitWith(verifier, 'zwroc');
    check(/komunikat=zwrocono/.test(verifier.url()), 'the verifier returns it with a comment', verifier.url());
    await shot(verifier, 'weryfikator-zwrot');

    // --- 4. data entry corrects and submits again ------------------------------------------
    await entry.goto(opts.base + entryPath);
    const returned = await entry.textContent('main');
    check(returned.includes(comment), 'the data-entry user sees the verifier\'s comment');
    await shot(entry, 'wprowadza-zwrocona');
    await axeHere(entry, 'the returned entry page');
    values.dowozeni_sp += 1;
    await entry.fill('#pole-dowozeni_sp', plNum(values.dowozeni_sp));
    await submitWith(entry, 'wyslij');
    if (!/komunikat=wyslano/.test(entry.url())) {
      await explainWarnings(entry);
      await submitWith(entry, 'wyslij');
    }
    must(/komunikat=wyslano/.test(entry.url()), 'the corrected questionnaire is submitted again', entry.url());

    // --- 5. the verifier approves ------------------------------------------------------------
    await verifier.goto(opts.base + entryPath);
    await submitWith(verifier, 'zatwierdz');
    check(/komunikat=zatwierdzono/.test(verifier.url()), 'the verifier approves', verifier.url());
    await shot(verifier, 'weryfikator-zatwierdzono');
    await axeHere(verifier, 'the approved entry page');

    // --- 6. public: the value on the unit card --------------------------------------------------
    await logout(entry);
    check(new URL(entry.url()).pathname === '/', 'logout goes home', entry.url());
    const konto = await entry.goto(`${opts.base}/konto`);
    check(konto && new URL(entry.url()).pathname === '/logowanie', 'after logout /konto asks to log in', entry.url());
    const share = ((values.dowozeni_sp / values.uczniowie_sp) * 100).toFixed(1).replace('.', ',');
    let shown = false;
    let cardText = '';
    // The card of the campaign's year: the default card shows the unit's newest year of
    // its main data, which a questionnaire for the following year does not move (a row
    // falls back only to older years); the default card is looked at below, as a note.
    const cardPath = `${unitPath}?rok=${opts.year}`;
    const until = Date.now() + 90000;
    while (Date.now() < until) {
      await entry.goto(opts.base + cardPath);
      cardText = await entry.textContent('main');
      const row = await entry.$('a[href*="/wskaznik/EDU_22"]');
      if (row && cardText.includes(share)) {
        shown = true;
        break;
      }
      await entry.waitForTimeout(2000);
    }
    check(shown, `the public card ${cardPath} shows EDU_22 = ${share} from the published values`, cardText.slice(0, 200));
    check(!/niepublikowane|unpublished/i.test(cardText), 'the public card has no "unpublished" marks');
    await shot(entry, 'publiczna-karta');
    await entry.goto(opts.base + unitPath);
    const defaultCard = await entry.textContent('main');
    console.log(`NOTE the default card ${unitPath} ${defaultCard.includes(share) ? 'shows' : 'does NOT show'} EDU_22 = ${share} (year ${opts.year})`);
    await shot(entry, 'publiczna-karta-domyslna');

    // --- 7. the audit page ----------------------------------------------------------------------
    await admin.goto(`${opts.base}/admin/audyt`);
    await axeUrl(admin, '/admin/audyt');
    const auditPage = `/admin/audyt?jednostka=${opts.unit}`;
    await admin.goto(opts.base + auditPage);
    const audit = await admin.textContent('main');
    for (const who of [opts.entry.login, opts.verifier.login]) {
      check(audit.includes(who), `the audit page filtered by the unit names ${who}`);
    }
    await admin.goto(`${opts.base}/admin/audyt`);
    const all = await admin.textContent('main');
    check(all.includes(opts.admin.login) && /kampani|campaign/i.test(all), 'the audit page has the campaign\'s creation by the administrator');
    check(/(zwr|return)/i.test(all) && /(zatwierd|approv)/i.test(all) && /(wys[lł]|submit)/i.test(all), 'the audit page has submit, return and approve');
    check(/(publik|publish|import)/i.test(all), 'the audit page has the publication');
    await shot(admin, 'admin-audyt');
    const usersResp = await admin.goto(`${opts.base}/admin/uzytkownicy`);
    if (check(usersResp && usersResp.status() === 200, '/admin/uzytkownicy answers 200 to the administrator')) {
      await axeUrl(admin, '/admin/uzytkownicy');
      await shot(admin, 'admin-uzytkownicy');
    }
    // A 403 page (the data-entry user's view of an admin page).
    const denied = await newPage();
    await login(denied, opts.entry);
    const r403 = await denied.goto(`${opts.base}/admin/audyt`);
    check(r403 && r403.status() === 403, 'the data-entry user gets 403 on /admin/audyt');
    await axeUrl(denied, '/admin/audyt', 403);
    await shot(denied, 'brak-uprawnien');
    if (opts.approver && opts.cycleUnit) await cycle(await newPage());
  } catch (e) {
    if (!(e instanceof Stop)) {
      failed++;
      failures.push(`script error: ${e.stack || e}`);
      console.log(`FAIL script error: ${e.stack || e}`);
    }
  } finally {
    await browser.close();
  }
  check(errors.length === 0, 'no script error or CSP report in the browser', errors.slice(0, 3).join(' | '));
  console.log(`screenshots: ${opts.shots}`);
  if (failures.length) {
    console.log('failures:');
    for (const f of failures) console.log(`  ${f}`);
  }
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(`e2e.mjs: ${e.stack || e}`);
  process.exit(2);
});
