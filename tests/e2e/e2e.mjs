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
//      (before/after against peers, placebo interval) → good practices and a functional area;
//   9. an exchange group (issue 19; --coordinator, --neighbour, --neighbour-unit, --checker):
//      the coordinator opens a cycle, the approver and its neighbour apply for their gminy, the
//      coordinator accepts both (letters appear on the coordinator's page), links the demo
//      campaign and starts the cycle; the approver's sheet names its own unit and shows the
//      neighbour as a letter; it asks about the neighbour's value (EDU_22, a campaign
//      indicator); the neighbour sees the asker as a letter, clicks "Popraw w formularzu",
//      lands on its campaign entry page, changes a field and submits; the verifier approves;
//      the asker sees the question corrected and the new value in the sheet (and its API);
//      the neighbour's sheet names its unit and shows the approver's as a letter; anyone gets
//      404 on the member pages and sees no letters on the public cycle page;
//  10. service-user surveys: the approver opens an open-link campaign of set `szkola` (minimum
//      30) for its unit; 3 answers through /badanie/SLUG with no login; a bad paper file is
//      refused (400, naming the line and the bad text), a paper CSV of 30 rows is taken; the
//      results are shown (33 answers, share satisfied with its interval), the typed remark is
//      published from the moderation queue; /badania/porownanie/szkola/YEAR names the unit to
//      the approver and shows it only as a letter to anyone (page, CSV, API).
//
// Each step is screenshotted at 1280 px and 390 px (DIR/NN-step-desktop.png, -phone.png);
// axe-core (WCAG 2.1 A/AA + best practices, the rules of tests/a11y/axe.mjs) and the 390 px
// reflow check run on every new page, in Polish and in English, desktop and phone.
//
// Usage: node tests/e2e/e2e.mjs BASE_URL --unit TERYT --form FILE --year YYYY
//          --admin LOGIN:PASSWORD --entry LOGIN:PASSWORD --verifier LOGIN:PASSWORD
//          [--approver LOGIN:PASSWORD --cycle-unit TERYT]
//          [--coordinator LOGIN:PASSWORD --neighbour LOGIN:PASSWORD --neighbour-unit TERYT
//           --checker LOGIN:PASSWORD] [--screenshots DIR]
// Phases 9 and 10 run when their logins are given (10 needs --approver and --cycle-unit
// only); each phase runs even when an earlier one stopped.
// Output: one line per check (`ok` / `FAIL`), then `e2e: P passed, F failed`.
// Exit status: 0 when every check passed, 1 otherwise, 2 on bad usage or no browser.

import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
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
    const m = /^--(unit|form|year|admin|entry|verifier|approver|cycle-unit|coordinator|neighbour|neighbour-unit|checker|screenshots)$/.exec(a);
    if (m) {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      o[{ screenshots: 'shots', 'cycle-unit': 'cycleUnit', 'neighbour-unit': 'neighbourUnit' }[m[1]] || m[1]] = argv[++i];
    } else rest.push(a);
  }
  if (rest.length !== 1) usage('need one BASE_URL');
  o.base = rest[0].replace(/\/+$/, '');
  for (const k of ['unit', 'form', 'year', 'admin', 'entry', 'verifier']) if (!o[k]) usage(`--${k} is required`);
  for (const k of ['admin', 'entry', 'verifier', 'approver', 'coordinator', 'neighbour', 'checker']) {
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
// A failure that is not a `must` (those are counted already) is a script error.
function scriptError(e) {
  if (e instanceof Stop) return;
  failed++;
  failures.push(`script error: ${e.stack || e}`);
  console.log(`FAIL script error: ${e.stack || e}`);
}
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
// the Polish page. Pages answering another status than `status` fail. A page is checked once
// per address pattern (numbers as N) and `who` (a page that differs by viewer is checked
// once per viewer named).
const axeSeen = new Set();
async function axeUrl(page, p, status = 200, who = '') {
  const key = `${status} ${p.replace(/\/\d+(?=\/|$|\?)/g, '/N')} ${who}`;
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

// ---------------------------------------------------------------------------------------------
// 9. Exchange groups (issue 19) and 10. service-user surveys, on the demo's people.

// The first element of `locators` that exists, or null.
async function firstOf(...locators) {
  for (const l of locators) if ((await l.count()) > 0) return l.first();
  return null;
}

// A form field by its label (the pages label every field), filled or selected.
async function setField(scope, re, value, what) {
  const l = await firstOf(scope.getByLabel(re, { exact: false }));
  must(l !== null, `${what}: the form has a field labelled ${re}`);
  const tag = await l.evaluate((e) => e.tagName);
  if (tag === 'SELECT') {
    const v = await l.evaluate((sel, want) => {
      const o = [...sel.options].find((x) => x.value === want || x.textContent.includes(want));
      return o ? o.value : null;
    }, String(value));
    must(v !== null, `${what}: the select ${re} offers ${value}`);
    await l.selectOption(v);
  } else {
    await l.fill(String(value));
  }
  return l;
}

// Submits the form holding `inner` (a locator inside it) by its submit button and waits for
// the next page.
async function submitForm(page, form, button = 'button[type=submit], button:not([type])') {
  await Promise.all([page.waitForLoadState('load'), form.locator(button).first().click()]);
}

// The unit's name, from the public API.
async function unitName(page, code) {
  const r = await page.request.get(`${opts.base}/api/v1/units/${code}`);
  if (r.status() !== 200) return null;
  return (await r.json()).name || null;
}

// A number as the pages write it in Polish ("1 234,5") → 1234.5, or null.
function plNumber(s) {
  const m = /-?\d[\d\s\u00a0\u202f]*(?:,\d+)?/.exec(s || '');
  if (!m) return null;
  const n = Number(m[0].replace(/[\s\u00a0\u202f]/g, '').replace(',', '.'));
  return Number.isFinite(n) ? n : null;
}

// What must not be on a page a viewer sees under letters: the hidden unit's name, its code,
// and any link to its card.
async function hides(page, code, name, what) {
  const html = await page.content();
  const text = await page.textContent('main');
  const leaks = [];
  if (name && text.includes(name)) leaks.push(`its name "${name}"`);
  if (text.includes(code)) leaks.push(`its code ${code}`);
  if (html.includes(`/jst/${code}`)) leaks.push(`a link to /jst/${code}`);
  check(leaks.length === 0, what, leaks.join(', '));
}

// The sheet JSON for the page's user, or null.
async function sheetJson(page, cycleId) {
  const r = await page.request.get(`${opts.base}/api/v1/exchange/cycles/${cycleId}/sheet`);
  if (r.status() !== 200) return { status: r.status(), json: null };
  return { status: 200, json: await r.json() };
}

// The value of (indicator, letter) in the sheet JSON; undefined when no such row.
function sheetValue(json, indicator, letter) {
  const inds = (json && (json.indicators || (json.sheet && json.sheet.indicators))) || [];
  const ind = inds.find((i) => i.code === indicator);
  if (!ind) return undefined;
  const row = (ind.rows || []).find((r) => r.letter === letter);
  return row ? row.value : undefined;
}

async function exchange(newPage) {
  const own = opts.cycleUnit;
  const other = opts.neighbourUnit;
  const coord = await newPage();
  const appr = await newPage();
  const sasiad = await newPage();
  const checker = await newPage();
  const anon = await newPage();
  const ownName = await unitName(anon, own);
  const otherName = await unitName(anon, other);
  console.log(`     exchange: own unit ${own} (${ownName}), neighbour ${other} (${otherName})`);
  must(ownName && otherName && ownName !== otherName, 'the two member units have distinct names');

  // The coordinator opens a cycle.
  await login(coord, opts.coordinator);
  let r = await coord.goto(`${opts.base}/gwd`);
  must(r && r.status() === 200, '/gwd answers 200');
  await axeUrl(coord, '/gwd');
  await shot(coord, 'gwd-lista');
  r = await coord.goto(`${opts.base}/gwd/nowy`);
  must(r && r.status() === 200, '/gwd/nowy answers 200 to the coordinator');
  await axeUrl(coord, '/gwd/nowy');
  const cycleName = `GWD E2E ${Date.now() % 100000}`;
  const newForm = coord.locator('main form[method=post], main form[method=POST]').filter({ has: coord.locator('select, input[type=text], input:not([type])') }).first();
  await setField(newForm, /nazwa/i, cycleName, 'the new cycle');
  await setField(newForm, /sektor|obszar/i, 'edukacja', 'the new cycle');
  await setField(newForm, /^rok|rok danych|\brok\b/i, opts.year, 'the new cycle');
  const desc = await firstOf(newForm.getByLabel(/opis/i));
  if (desc) await desc.fill('Grupa z testu E2E: oświata gmin.');
  await shot(coord, 'gwd-nowy');
  await submitForm(coord, newForm);
  const cm = /\/gwd\/(\d+)(?:[/?#]|$)/.exec(coord.url());
  must(cm, 'the cycle is opened (redirect to its page)', `${coord.url()} ${(await coord.textContent('main')).slice(0, 300)}`);
  const cycleId = cm[1];
  const cyclePath = `/gwd/${cycleId}`;
  check((await coord.textContent('main')).includes(cycleName), 'the cycle page shows its name');
  await shot(coord, 'gwd-cykl-koordynator-nowy');

  // Two members apply: the demo's approver and its neighbour, each for its unit.
  for (const [page, who, unit] of [[appr, opts.approver, own], [sasiad, opts.neighbour, other]]) {
    await login(page, who);
    r = await page.goto(opts.base + cyclePath);
    must(r && r.status() === 200, `${cyclePath} answers 200 to ${who.login}`);
    const form = page.locator(`form[action$="${cyclePath}/zgloszenie"]`);
    must((await form.count()) > 0, `${who.login} is offered the application form`);
    const sel = form.locator('select');
    if ((await sel.count()) > 0) {
      const v = await sel.first().evaluate((s, [code, id]) => {
        const o = [...s.options].find((x) => x.value === code || x.textContent.includes(code) || (id && x.value === id));
        return o ? o.value : null;
      }, [unit, null]);
      must(v !== null, `the application form offers ${who.login}'s unit ${unit}`);
      await sel.first().selectOption(v);
    }
    const note = form.locator('textarea');
    if ((await note.count()) > 0) await note.first().fill(`Zgłoszenie z testu E2E (${who.login}): trzy osoby z wydziału oświaty.`);
    if (page === appr) await axeUrl(page, cyclePath, 200, 'applicant');
    await submitForm(page, form);
    check(new URL(page.url()).pathname.startsWith(cyclePath), `${who.login}'s application returns to the cycle page`, page.url());
    check(/komunikat=zgloszono/.test(page.url()) && /Zgłoszenie wysłane/.test(await page.textContent('main')), `${who.login}'s page says the application is sent`, page.url());
    if (page === appr) await shot(page, 'gwd-zgloszenie');
  }

  // The coordinator accepts both: letters appear on the coordinator's page.
  await coord.goto(opts.base + cyclePath);
  await shot(coord, 'gwd-cykl-zgloszenia');
  for (let i = 0; i < 2; i++) {
    const accept = await firstOf(
      coord.locator(`form[action*="${cyclePath}/czlonkowie/"] button[value=accept]`),
      coord.locator(`form[action*="${cyclePath}/czlonkowie/"] button`).filter({ hasText: /przyjmij|akceptuj|accept/i }),
    );
    must(accept !== null, `the coordinator's page offers to accept application ${i + 1}`);
    await Promise.all([coord.waitForLoadState('load'), accept.click()]);
    check(/komunikat=przyjeto/.test(coord.url()), `the coordinator accepts application ${i + 1}`, coord.url());
  }
  let coordText = await coord.textContent('main');
  check(coordText.includes(ownName) && coordText.includes(otherName), 'the coordinator sees both members named');
  const letterOf = async (page, name) => page.evaluate((n) => {
    // A row (tr or li) naming the unit, with a lone capital letter A-H in a cell of its own.
    for (const row of document.querySelectorAll('main tr, main li')) {
      if (!row.textContent.includes(n)) continue;
      for (const c of row.querySelectorAll('td, th, span, strong, b')) {
        const t = c.textContent.trim().replace(/^(litera|uczestnik|participant|letter)\s*/i, '');
        if (/^[A-H]$/.test(t)) return t;
      }
    }
    return null;
  }, name);
  const ownLetter = await letterOf(coord, ownName);
  const otherLetter = await letterOf(coord, otherName);
  check(ownLetter && otherLetter && ownLetter !== otherLetter, 'the coordinator\'s page gives each member its letter', `${ownName}: ${ownLetter}, ${otherName}: ${otherLetter}`);
  console.log(`     letters: ${own} = ${ownLetter}, ${other} = ${otherLetter}`);
  await shot(coord, 'gwd-cykl-przyjeci');

  // The group's own data collection: the demo campaign; then the cycle runs.
  const campForm = coord.locator(`form[action$="${cyclePath}/ankieta"]`);
  must((await campForm.count()) > 0, 'the coordinator is offered to link a campaign');
  const campId = await campForm.locator('select').first().evaluate((s) => {
    const o = [...s.options].find((x) => x.value && /demo/i.test(x.textContent) && !/e2e/i.test(x.textContent));
    return o ? o.value : null;
  });
  must(campId !== null, 'the campaign select offers the demo campaign');
  await campForm.locator('select').first().selectOption(campId);
  await submitForm(coord, campForm);
  check(/komunikat=ankieta/.test(coord.url()), 'the demo campaign is linked to the cycle', `${coord.url()} ${(await coord.textContent('main')).slice(0, 200)}`);
  const stateForm = coord.locator(`form[action$="${cyclePath}/stan"]`);
  if ((await stateForm.count()) > 0) {
    const sel = stateForm.locator('select');
    if ((await sel.count()) > 0) {
      const v = await sel.first().evaluate((s) => {
        const o = [...s.options].find((x) => /running|trwa|prowadz|rozpocz/i.test(`${x.value} ${x.textContent}`));
        return o ? o.value : null;
      });
      if (v) {
        await sel.first().selectOption(v);
        await submitForm(coord, stateForm);
      }
    } else {
      const b = await firstOf(stateForm.locator('button').filter({ hasText: /rozpocznij|start|trwa/i }));
      if (b) await Promise.all([coord.waitForLoadState('load'), b.click()]);
    }
  }
  coordText = await coord.textContent('main');
  check(/komunikat=stan/.test(coord.url()) && /w toku/.test(coordText), 'the coordinator starts the cycle (state "w toku")', `${coord.url()} ${coordText.slice(0, 200)}`);
  // A meeting, its host proposed in turn (the form comes filled with the proposal).
  const meetForm = coord.locator(`form[action$="${cyclePath}/spotkania"]`);
  if (check((await meetForm.count()) > 0, 'the coordinator is offered a new meeting')) {
    const host = await meetForm.locator('select').first().inputValue();
    check(host !== '', 'the new meeting comes with a proposed host', host);
    await setField(meetForm, /^data|^date/i, new Date(Date.now() + 14 * 86400000).toISOString().slice(0, 10), 'the new meeting');
    await setField(meetForm, /miejsce|place/i, 'Urząd gminy, sala 1', 'the new meeting');
    await submitForm(coord, meetForm);
    check(/komunikat=spotkanie/.test(coord.url()), 'the meeting is saved', coord.url());
  }
  await axeUrl(coord, cyclePath, 200, 'coordinator');
  await shot(coord, 'gwd-cykl-koordynator');

  // The public part: members listed without letters; the sheet is not public.
  r = await anon.goto(opts.base + cyclePath);
  check(r && r.status() === 200, `${cyclePath} answers 200 to anyone`);
  const pub = await anon.textContent('main');
  check(pub.includes(ownName) && pub.includes(otherName), 'the public cycle page lists the accepted members');
  check(!/(Uczestnik|Participant|litera|letter)\s+[A-H]\b/i.test(pub), 'the public cycle page shows no letters');
  await axeUrl(anon, cyclePath, 200, 'anyone');
  await shot(anon, 'gwd-cykl-publiczny');
  for (const p of [`${cyclePath}/arkusz`, `${cyclePath}/pytania`, `${cyclePath}/arkusz.csv`]) {
    r = await anon.goto(opts.base + p);
    check(r && r.status() === 404, `${p} answers 404 to anyone`, `got ${r && r.status()}`);
  }
  check((await sheetJson(anon, cycleId)).status === 404, 'the sheet API answers 404 to anyone');

  // The member's cycle page: the group's part, the neighbour not named next to a letter.
  await appr.goto(opts.base + cyclePath);
  const memberView = await appr.textContent('main');
  check(/arkusz|sheet/i.test(memberView) && (await appr.$(`a[href^="${cyclePath}/arkusz"]`)) !== null, 'the member\'s cycle page links the sheet');
  const together = await appr.evaluate(([n, l]) => [...document.querySelectorAll('main tr, main li, main p, main dd, main td')]
    .filter((e) => e.textContent.includes(n) && new RegExp(`(Uczestnik|Participant|[Ll]itera|[Ll]etter)\\s+${l}\\b`).test(e.textContent))
    .map((e) => e.textContent.replace(/\s+/g, ' ').trim().slice(0, 120)), [otherName, otherLetter]);
  check(together.length === 0, 'the member\'s cycle page does not put the neighbour\'s name next to its letter', together.join(' | '));
  await axeUrl(appr, cyclePath, 200, 'member');
  await shot(appr, 'gwd-cykl-czlonek');

  // A member adds a document; members download it (attachment, nosniff); anyone gets 404.
  const docForm = appr.locator(`form[action$="${cyclePath}/dokumenty"]`);
  if (check((await docForm.count()) > 0, 'a member is offered to add a document')) {
    await setField(docForm, /tytuł|title/i, 'Notatka ze spotkania (e2e)', 'the document');
    await docForm.locator('input[type=file]').setInputFiles({ name: 'notatka.txt', mimeType: 'text/plain', buffer: Buffer.from('Notatka ze spotkania grupy (e2e).\n') });
    await submitForm(appr, docForm);
    check(/komunikat=dokument/.test(appr.url()), 'the member\'s document is added', appr.url());
    const docHref = await appr.getAttribute(`main a[href*="${cyclePath}/dokumenty/"]`, 'href').catch(() => null);
    if (check(docHref !== null, 'the cycle page links the document')) {
      const d = await sasiad.request.get(opts.base + docHref);
      const h = d.headers();
      check(d.status() === 200 && /attachment/.test(h['content-disposition'] || '') && h['x-content-type-options'] === 'nosniff' && (await d.text()).includes('(e2e)'),
        'another member downloads it as an attachment with nosniff', `${d.status()} ${h['content-disposition']} ${h['x-content-type-options']}`);
      const da = await anon.request.get(opts.base + docHref);
      check(da.status() === 404, 'the document answers 404 to anyone', `got ${da.status()}`);
    }
  }

  // The approver's sheet: its own unit named, the neighbour as a letter.
  const sheetPath = `${cyclePath}/arkusz`;
  r = await appr.goto(opts.base + sheetPath);
  must(r && r.status() === 200, `${sheetPath} answers 200 to a member`);
  let sheetText = await appr.textContent('main');
  check(sheetText.includes(ownName), 'the member\'s sheet names its own unit');
  check(/Twoja JST|Your/i.test(sheetText), 'the member\'s sheet marks its own unit');
  await hides(appr, other, otherName, 'the member\'s sheet shows the neighbour only as a letter');
  await axeUrl(appr, sheetPath);
  await shot(appr, 'gwd-arkusz-zatwierdza');
  const csv = await appr.request.get(`${opts.base}${sheetPath}.csv`);
  const csvText = await csv.text();
  check(csv.status() === 200 && !csvText.includes(otherName) && !csvText.includes(other), 'the sheet CSV has no name or code of the neighbour', `status ${csv.status()}`);
  const beforeJson = await sheetJson(appr, cycleId);
  check(beforeJson.status === 200, 'the sheet API answers 200 to a member');
  check(!JSON.stringify(beforeJson.json || {}).includes(otherName) && !JSON.stringify(beforeJson.json || {}).includes(other), 'the sheet API has no name or code of the neighbour');

  // The approver asks about the neighbour's value of a campaign indicator (EDU_22 when offered).
  const askLinks = appr.locator(`a[href*="${cyclePath}/pytania/nowe"][href*="litera=${otherLetter}"]`);
  must((await askLinks.count()) > 0, `the sheet offers to ask about letter ${otherLetter}'s values`);
  const preferred = appr.locator(`a[href*="${cyclePath}/pytania/nowe"][href*="litera=${otherLetter}"][href*="wskaznik=EDU_22"]`);
  const ask = (await preferred.count()) > 0 ? preferred.first() : askLinks.first();
  const askHref = await ask.getAttribute('href');
  const indicator = new URL(askHref, opts.base).searchParams.get('wskaznik');
  console.log(`     asking about ${indicator} of letter ${otherLetter}`);
  await Promise.all([appr.waitForLoadState('load'), ask.click()]);
  await axeUrl(appr, new URL(appr.url()).pathname + new URL(appr.url()).search);
  await hides(appr, other, otherName, 'the question form shows the neighbour only as a letter');
  const qForm = appr.locator(`form[action$="${cyclePath}/pytania"]`);
  must((await qForm.count()) > 0, 'the question form is there');
  const question = `Wartość ${indicator} wygląda na zawyżoną — proszę sprawdzić (e2e).`;
  await qForm.locator('textarea').first().fill(question);
  await shot(appr, 'gwd-pytanie-nowe');
  await submitForm(appr, qForm);
  const qm = /\/pytania\/(\d+)/.exec(appr.url());
  must(qm, 'the question is asked (redirect to its thread)', appr.url());
  const qPath = `${cyclePath}/pytania/${qm[1]}`;
  check((await appr.textContent('main')).includes(question), 'the thread shows the question');
  await axeUrl(appr, qPath, 200, 'asker');
  await shot(appr, 'gwd-pytanie-watek');

  // The neighbour: sees the question (asker as a letter), corrects through the form.
  r = await sasiad.goto(`${opts.base}${cyclePath}/pytania`);
  must(r && r.status() === 200, `${cyclePath}/pytania answers 200 to the neighbour`);
  check(await sasiad.$(`a[href$="${qPath}"]`) !== null, 'the neighbour\'s question list links the question');
  await axeUrl(sasiad, `${cyclePath}/pytania`);
  await shot(sasiad, 'gwd-pytania-sasiad');
  await sasiad.goto(opts.base + qPath);
  const thread = await sasiad.textContent('main');
  check(thread.includes(question), 'the neighbour sees the question');
  check(new RegExp(`(Uczestnik|Participant)\\s+${ownLetter}\\b`).test(thread), `the neighbour sees the asker as "Uczestnik ${ownLetter}"`);
  await hides(sasiad, own, ownName, 'the neighbour\'s thread shows the asker only as a letter');
  check(!thread.includes('Zatwierdzający'), 'the neighbour\'s thread does not name the asking person');
  await axeUrl(sasiad, qPath, 200, 'questioned');
  await shot(sasiad, 'gwd-pytanie-sasiad');
  const fix = await firstOf(
    sasiad.locator(`form[action$="${qPath}/korekta"] button`),
    sasiad.getByRole('button', { name: /Popraw w formularzu/i }),
  );
  must(fix !== null, 'the questioned unit is offered "Popraw w formularzu"');
  await Promise.all([sasiad.waitForLoadState('load'), fix.click()]);
  const entryPath = new URL(sasiad.url()).pathname;
  must(new RegExp(`^/ankiety/${campId}/jst/${other}$`).test(entryPath), 'the correction lands on the unit\'s campaign entry page', sasiad.url());
  check(/Pytanie grupy wymiany|exchange group/i.test(await sasiad.textContent('main')), 'the entry page shows the group\'s question as the return comment');
  await shot(sasiad, 'gwd-korekta-formularz');
  const val = async (k) => plNumber(await sasiad.inputValue(`#pole-${k}`).catch(() => ''));
  const pupils = await val('uczniowie_sp');
  let transported = await val('dowozeni_sp');
  must(pupils && transported != null, 'the entry page holds the submitted values', `${pupils} ${transported}`);
  transported = Math.max(0, Math.round(transported * 0.8));
  await sasiad.fill('#pole-dowozeni_sp', plNum(transported));
  await submitWith(sasiad, 'wyslij');
  if (!/komunikat=wyslano/.test(sasiad.url())) {
    await explainWarnings(sasiad);
    await submitWith(sasiad, 'wyslij');
  }
  must(/komunikat=wyslano/.test(sasiad.url()), 'the corrected questionnaire is submitted', `${sasiad.url()} ${(await sasiad.textContent('main')).slice(0, 300)}`);
  const expected = (transported / pupils) * 100;

  // The verifier approves the correction.
  await login(checker, opts.checker);
  await checker.goto(opts.base + entryPath);
  await submitWith(checker, 'zatwierdz');
  check(/komunikat=zatwierdzono/.test(checker.url()), 'the verifier approves the correction', checker.url());

  // The asker: the question is corrected, the sheet has the new value (unpublished).
  await appr.goto(opts.base + qPath);
  const after = await appr.textContent('main');
  check(/Stan\s*poprawione/.test(after), 'the asker sees the question\'s state "poprawione"', after.slice(0, 300));
  await shot(appr, 'gwd-pytanie-poprawione');
  let got;
  const until = Date.now() + 30000;
  while (Date.now() < until) {
    got = sheetValue((await sheetJson(appr, cycleId)).json, indicator, otherLetter);
    if (indicator !== 'EDU_22' || (typeof got === 'number' && Math.abs(got - expected) < 0.01)) break;
    await appr.waitForTimeout(1000);
  }
  if (indicator === 'EDU_22') check(typeof got === 'number' && Math.abs(got - expected) < 0.01, `the sheet shows letter ${otherLetter}'s corrected EDU_22 = ${expected.toFixed(2)}`, `got ${got}`);
  else console.log(`NOTE asked about ${indicator}, not EDU_22: the corrected value is not checked (now ${got})`);
  await appr.goto(opts.base + sheetPath);
  sheetText = await appr.textContent('main');
  check(/niepublikowan/i.test(sheetText), 'the sheet marks the approved, unpublished values');
  await hides(appr, other, otherName, 'after the correction the member\'s sheet still shows the neighbour only as a letter');
  await shot(appr, 'gwd-arkusz-po-korekcie');

  // The neighbour's sheet: its unit named, the approver's as a letter.
  r = await sasiad.goto(opts.base + sheetPath);
  must(r && r.status() === 200, `${sheetPath} answers 200 to the neighbour`);
  check((await sasiad.textContent('main')).includes(otherName), 'the neighbour\'s sheet names its own unit');
  await hides(sasiad, own, ownName, 'the neighbour\'s sheet shows the approver\'s unit only as a letter');
  await shot(sasiad, 'gwd-arkusz-sasiad');
  const sj = await sheetJson(sasiad, cycleId);
  check(sj.status === 200 && !JSON.stringify(sj.json).includes(ownName), 'the neighbour\'s sheet API has no name of the approver\'s unit');

  // The coordinator's sheet names both.
  await coord.goto(opts.base + sheetPath);
  const cs = await coord.textContent('main');
  check(cs.includes(ownName) && cs.includes(otherName), 'the coordinator\'s sheet names both members');
  await shot(coord, 'gwd-arkusz-koordynator');
  // The demo's verifier holds a role on both units: it sees both named (the rule's "any role
  // on that unit"), as the coordinator does.
  const vr = await checker.goto(opts.base + sheetPath);
  const vs = await checker.textContent('main');
  check(vr && vr.status() === 200 && vs.includes(ownName) && vs.includes(otherName), 'the verifier of both units sees both named in the sheet');
}

// The question codes of a standard set, from its file in catalogue/surveys (null if none).
function setCodes(code) {
  const dir = path.join(here, '..', '..', 'catalogue', 'surveys');
  if (!existsSync(dir)) return null;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.toml'))) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    if (!new RegExp(`^code\\s*=\\s*"${code}"`, 'm').test(text)) continue;
    // Every `code = "…"` after the first one is a question's.
    const all = [...text.matchAll(/^\s*code\s*=\s*"([^"]+)"/gm)].map((x) => x[1]);
    return all.length > 1 ? all.slice(1) : null;
  }
  return null;
}

// A paper file of `n` respondents: the set's question codes as the header, scores 1-5 with
// a few "nie wiem" and blanks, and a remark column.
function paperCsv(codes, n) {
  const lines = [[...codes, 'uwagi'].join(';')];
  for (let i = 0; i < n; i++) {
    const cells = codes.map((_, j) => {
      const k = (i * 7 + j * 3) % 23;
      if (k === 0) return 'nie wiem';
      if (k === 1) return '';
      return String(2 + ((i + j) % 4));
    });
    cells.push(i % 10 === 0 ? 'Uwaga z ankiety papierowej' : '');
    lines.push(cells.join(';'));
  }
  return `${lines.join('\n')}\n`;
}

async function surveys(newPage) {
  const unit = opts.cycleUnit;
  const appr = await newPage();
  const anon = await newPage();
  const name = await unitName(anon, unit);
  await login(appr, opts.approver);
  let r = await anon.goto(`${opts.base}/badania`);
  must(r && r.status() === 200, '/badania answers 200');
  await axeUrl(anon, '/badania');
  await shot(anon, 'badania');
  r = await anon.goto(`${opts.base}/badania/zestawy/szkola`);
  must(r && r.status() === 200, '/badania/zestawy/szkola answers 200');
  await axeUrl(anon, '/badania/zestawy/szkola');
  await shot(anon, 'badania-zestaw');

  // The approver opens an open-link campaign of set `szkola` for its unit.
  const listPath = `/jst/${unit}/badania`;
  r = await anon.goto(opts.base + listPath);
  check(r && r.status() === 404, `${listPath} answers 404 to anyone`, `got ${r && r.status()}`);
  r = await appr.goto(opts.base + listPath);
  must(r && r.status() === 200, `${listPath} answers 200 to the approver`);
  await axeUrl(appr, listPath);
  const form = appr.locator(`form[action$="${listPath}"]`);
  must((await form.count()) > 0, 'the approver is offered the form to open a survey');
  const day = (d) => new Date(Date.now() + d * 86400000).toISOString().slice(0, 10);
  await setField(form, /zestaw pytań|question set/i, 'szkola', 'the new survey');
  const service = `Szkoła Podstawowa E2E ${Date.now() % 10000}`;
  await setField(form, /placówk|institution/i, service, 'the new survey');
  await setField(form, /rok badania|year of/i, opts.year, 'the new survey');
  const open = await firstOf(form.locator('input[type=radio][value=otwarty]'), form.locator('input[type=radio][value=open]'));
  must(open !== null, 'the new survey form offers an open link');
  await open.check();
  await setField(form, /minimaln|minimum/i, 30, 'the new survey');
  await setField(form, /otwarte od|open from/i, day(-1), 'the new survey');
  await setField(form, /otwarte do|open until/i, day(30), 'the new survey');
  await shot(appr, 'badania-nowa');
  await submitForm(appr, form);
  const m = new RegExp(`${listPath}/(\\d+)`).exec(appr.url());
  must(m, 'the survey campaign is opened (redirect to its page)', `${appr.url()} ${(await appr.textContent('main')).slice(0, 400)}`);
  const campPath = `${listPath}/${m[1]}`;
  const sm = /\/badanie\/([A-Za-z0-9]{10,40})/.exec(await appr.content());
  must(sm, 'the campaign page shows its public link');
  const formPath = `/badanie/${sm[1]}`;
  check((await appr.textContent('main')).includes(service), 'the campaign page names the service');
  await axeUrl(appr, campPath);
  await shot(appr, 'badania-kampania');

  // Three answers through the link, in a context with no login.
  r = await anon.goto(opts.base + formPath);
  must(r && r.status() === 200, `${formPath} answers 200 to anyone`);
  const groups = await anon.$$eval('main form input[type=radio]', (els) => [...new Set(els.map((e) => e.name))]);
  must(groups.length >= 3, 'the survey form has a radio group per question', `${groups.length}`);
  check((await anon.$$('main form fieldset legend')).length >= groups.length, 'each question is a fieldset with a legend');
  await axeUrl(anon, formPath);
  await shot(anon, 'badanie-formularz');
  const picks = [['5', '4'], ['4', '3'], ['3', 'dont_know']];
  for (let k = 0; k < 3; k++) {
    await anon.goto(opts.base + formPath);
    for (const [gi, g] of groups.entries()) {
      const radios = anon.locator(`main form input[type=radio][name="${g}"]`);
      const values = await radios.evaluateAll((els) => els.map((e) => e.value));
      const want = picks[k][gi % 2];
      let idx = values.indexOf(want);
      if (idx < 0 && want === 'dont_know') idx = values.length - 1; // "nie wiem" comes last
      if (idx < 0) idx = 0;
      await radios.nth(idx).check();
    }
    const ta = await firstOf(anon.locator('main form textarea'));
    if (ta && k === 0) await ta.fill('Bardzo dobra szkoła, ale za mało zajęć dodatkowych (e2e).');
    await submitForm(anon, anon.locator('main form').filter({ has: anon.locator('input[type=radio]') }).first());
    const thanks = await anon.textContent('main');
    check(/dziękuj|thank/i.test(thanks), `answer ${k + 1} through the link is thanked for`, thanks.slice(0, 200));
    if (k === 0) {
      await axeHere(anon, 'the survey thanks page');
      await shot(anon, 'badanie-dziekujemy');
    }
  }

  // The paper results: first a bad file (refused with its line and column), then 30 rows.
  const codes = setCodes('szkola') || groups.map((g) => g.replace(/^(q|pytanie|odp|p)[._-]/i, ''));
  console.log(`     paper columns: ${codes.join(', ')}`);
  await appr.goto(opts.base + campPath);
  const upload = appr.locator(`form[action$="${campPath}/papier"]`);
  must((await upload.count()) > 0, 'the campaign page offers the paper upload');
  const badRows = paperCsv(codes, 3).split('\n');
  badRows[2] = ['siedem', ...badRows[2].split(';').slice(1)].join(';');
  const bad = badRows.join('\n');
  await upload.locator('input[type=file]').setInputFiles({ name: 'papier-zly.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  const [badResp] = await Promise.all([appr.waitForResponse((x) => x.request().method() === 'POST'), upload.locator('button[type=submit], button:not([type])').first().click()]);
  await appr.waitForLoadState('load');
  check(badResp.status() === 400, 'a paper file with a bad score is refused with 400', `got ${badResp.status()}`);
  const badText = await appr.textContent('main');
  check(/papier-zly\.csv/.test(badText) && /\b3\b/.test(badText) && /siedem/.test(badText), 'the refusal names the file, the line (3) and the bad text', badText.slice(0, 300));
  await axeHere(appr, 'the paper upload refusal');
  await shot(appr, 'badania-papier-blad');
  await appr.goto(opts.base + campPath);
  await upload.locator('input[type=file]').setInputFiles({ name: 'papier.csv', mimeType: 'text/csv', buffer: Buffer.from(paperCsv(codes, 30)) });
  await submitForm(appr, upload);
  check(/komunikat=papier/.test(appr.url()), 'the paper file of 30 rows is read in', `${appr.url()} ${(await appr.textContent('main')).slice(0, 300)}`);
  await appr.goto(opts.base + campPath);
  const res = await appr.textContent('main');
  check(/\b33\b/.test(res), 'the campaign counts 33 answers (3 through the link, 30 on paper)');
  check(/%/.test(res) && /przedział|interval|±|–/i.test(res), 'the results show the share satisfied with its interval');
  const overall = await appr.evaluate(() => {
    const row = [...document.querySelectorAll('main tr')].find((tr) => /Ocena ogólna|Overall/i.test(tr.textContent));
    return row ? [...row.children].map((c) => c.textContent.replace(/\s+/g, ' ').trim()).join(' | ') : '';
  });
  check(/\b33\b/.test(overall) && /\d,\d \(\d,\d–\d,\d\)/.test(overall) && !/za mało/.test(overall), 'past the minimum the overall score is shown with its interval', overall);
  // Moderation: the comment typed through the link waits; publish it.
  const publish = await firstOf(appr.locator(`form[action*="${campPath}/komentarze/"] button[value=publish]`), appr.locator(`form[action*="${campPath}/komentarze/"] button`).filter({ hasText: /opublikuj|publish/i }));
  if (check(publish !== null, 'the typed remark waits in the moderation queue')) await Promise.all([appr.waitForLoadState('load'), publish.click()]);
  await axeUrl(appr, campPath);
  await shot(appr, 'badania-wyniki');

  // The comparison: the approver sees its unit named, anyone else only a letter.
  const cmpPath = `/badania/porownanie/szkola/${opts.year}`;
  r = await appr.goto(opts.base + cmpPath);
  must(r && r.status() === 200, `${cmpPath} answers 200`);
  const ownRow = await appr.evaluate(([n, svc]) => {
    const row = [...document.querySelectorAll('main tr')].find((tr) => tr.textContent.includes(n) && tr.textContent.includes(svc));
    if (!row) return null;
    const cells = [...row.querySelectorAll('th, td')].map((c) => c.textContent.trim());
    const tag = row.querySelector('.tag');
    const letter = (tag && /^[A-Z]{1,2}$/.test(tag.textContent.trim()) && tag.textContent.trim()) || cells.map((c) => c.replace(/^(uczestnik|participant|litera|letter)\s*/i, '')).find((c) => /^[A-Z]{1,2}$/.test(c)) || (/\b([A-Z])\b/.exec(row.textContent) || [])[1] || null;
    return { text: [...row.children].map((c) => c.textContent.replace(/\s+/g, ' ').trim()).join(' | '), letter };
  }, [name, service]);
  check(ownRow !== null && /\b33\b/.test(ownRow.text), `the approver sees its unit (${name}) and the service named in the comparison, n = 33`, ownRow && ownRow.text);
  const letter = ownRow && ownRow.letter;
  console.log(`     survey comparison row: ${ownRow && ownRow.text} (letter ${letter})`);
  await axeUrl(appr, cmpPath, 200, 'own');
  await shot(appr, 'badania-porownanie-zatwierdza');
  r = await anon.goto(opts.base + cmpPath);
  must(r && r.status() === 200, `${cmpPath} answers 200 to anyone`);
  const anonRows = await anon.$$eval('main tr', (rows) => rows.map((tr) => [...tr.children].map((c) => c.textContent.replace(/\s+/g, ' ').trim()).join(' | ')));
  const mine = anonRows.filter((t) => letter && new RegExp(`^(Uczestnik|Participant) ${letter}\\b`).test(t));
  check(mine.length >= 1 && /\b33\b/.test(mine[0]) && mine.every((t) => !t.includes(name) && !t.includes(service)), `anyone sees the campaign as "Uczestnik ${letter}" only, n = 33`, mine.slice(0, 2).join(' | '));
  check(!(await anon.textContent('main')).includes(service), 'the public comparison does not name the service surveyed');
  check(!(await anon.content()).includes(`/jst/${unit}`), 'the public comparison has no link to the unit\'s card');
  if ((await anon.textContent('main')).includes(name)) console.log(`NOTE the public comparison names ${name} somewhere (another campaign of the unit with named consent?)`);
  check(/za mało odpowiedzi|too few/i.test(await anon.textContent('main')), 'a campaign below the minimum says "za mało odpowiedzi"');
  await axeUrl(anon, cmpPath, 200, 'anyone');
  await shot(anon, 'badania-porownanie-publiczne');
  const csvR = await anon.request.get(`${opts.base}${cmpPath}.csv`);
  const csvBody = await csvR.text();
  // Columns: set, year, letter, unit code, unit name, service, responses, … (empty where not named).
  const csvMine = csvBody.split('\n').map((l) => l.split(',')).filter((c) => c[2] === letter);
  check(csvR.status() === 200 && csvMine.length > 0 && csvMine.every((c) => c[3] === '' && c[4] === '' && c[5] === '' && c[6] === '33') && !csvBody.includes(service),
    'the public comparison CSV has the campaign under its letter only (no code, name or service)', csvMine.slice(0, 2).map((c) => c.join(',')).join(' / '));
  const api = await anon.request.get(`${opts.base}/api/v1/surveys/szkola/${opts.year}`);
  const apiText = await api.text();
  check(api.status() === 200 && !apiText.includes(`"${unit}"`), 'the public comparison API does not name the unit\'s campaign', `status ${api.status()}`);
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
  } catch (e) {
    scriptError(e);
  }
  // The later phases do not depend on the campaign above: each runs even when one stopped.
  const later = [];
  if (opts.approver && opts.cycleUnit) later.push(['8 (improvement cycle)', () => newPage().then(cycle)]);
  if (opts.approver && opts.cycleUnit && opts.coordinator && opts.neighbour && opts.neighbourUnit && opts.checker) {
    later.push(['9 (exchange group)', () => exchange(newPage)]);
  }
  if (opts.approver && opts.cycleUnit) later.push(['10 (surveys)', () => surveys(newPage)]);
  try {
    for (const [name, run] of later) {
      console.log(`---- phase ${name}`);
      try {
        await run();
      } catch (e) {
        scriptError(e);
      }
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
