/**
 * The kiosk's touchscreen UI in a real Chromium (issue 8, kiosk part), over
 * a real rig: the center and a kiosk agent in-process with a simulated
 * station, the screen server (kiosk/screen/) fed by the agent's events and
 * link exchanges. A customer is served by clicking the on-screen keypad
 * and gets a really issued card; a wrong code shows the attempts left; an
 * idle screen goes back to the start with what was typed cleared; the
 * Japanese view; the operator view behind its PIN shows the exchanges,
 * the reader and hopper, the last errors. The pages store nothing in the
 * browser and load nothing from outside loopback.
 */
import { request as httpRequest, type ClientRequest } from 'node:http';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import { systemClock } from '../../common/clock.js';
import { slowHash } from '../../common/slow-hash.js';
import { startKiosk } from '../../kiosk/agent.js';
import { decodeKioskConfig } from '../../kiosk/config.js';
import type { ScreenConfigInput } from '../../kiosk/screen/config.js';
import { ScreenFeed } from '../../kiosk/screen/feed.js';
import { loadOperatorPin } from '../../kiosk/screen/operator-pin.js';
import { startScreenServer, type ScreenServer } from '../../kiosk/screen/server.js';
import { ForwardingTransport, withTransport } from '../fixtures/forwarding-station.js';
import { launchBrowser, loopbackOnly } from '../fixtures/browser.js';
import { recordingLogger } from '../fixtures/recording-log.js';
import { random, startRig, type RigApp } from '../fixtures/rig.js';

const PIN = '246810';
const KIOSK = 'kiosk-1';

/** Holds the `holdAt`-th APDU (1-based) until released: the test sees (and photographs) the screen mid-write. */
class HoldingTransport extends ForwardingTransport {
  count = 0;
  holdAt: number | undefined;
  held: (() => void) | undefined;
  reached: Promise<void> = Promise.resolve();
  #reached: (() => void) | undefined;
  arm(at: number): void {
    this.count = 0;
    this.holdAt = at;
    this.reached = new Promise((r) => (this.#reached = r));
  }
  release(): void {
    this.holdAt = undefined;
    this.held?.();
  }
  override async transmit(apdu: Uint8Array, opts?: { timeoutMs?: number }): Promise<Uint8Array> {
    this.count += 1;
    if (this.count === this.holdAt) {
      this.#reached?.();
      await new Promise<void>((r) => (this.held = r));
    }
    return super.transmit(apdu, opts);
  }
}

const rig = await startRig(t, { cardsPerStation: 3 });
const simStation = rig.stations[KIOSK]!;
const holding = new HoldingTransport(simStation.transport);
const station = withTransport(simStation, holding, 'holding');
const files = rig.pki.kiosks[KIOSK]!;
const kioskLog = recordingLogger(KIOSK);
const screenLog = recordingLogger('screen');
const feed = new ScreenFeed({ clock: systemClock, readerId: station.identity.id });
const from = (await rig.audit()).length;
const agent = await startKiosk({
  config: decodeKioskConfig({ identityDir: files.dir, keyStore: { kind: 'sealed-file', machineSecretFile: files.machineSecret }, brokerUrl: rig.center.url, station: join(rig.dir, 'stations', KIOSK) }),
  station,
  clock: systemClock,
  logger: kioskLog,
  random,
  events: feed.events,
  onExchange: feed.exchange,
});
t.teardown(() => agent.stop());
await agent.ready;
await rig.waitForAudit((e) => e.kind === 'reader.authenticated' && e.kiosk === KIOSK, 'the reader report', { from });

// The operator PIN as `cardline kiosk pin-hash` makes it, in a 0600 file (a cheap scrypt cost for the test).
const pinDir = await mkdtemp(join(tmpdir(), 'cardline-pin-'));
t.teardown(() => rm(pinDir, { recursive: true, force: true }));
const pinFile = join(pinDir, 'operator.pin');
await writeFile(pinFile, `${await slowHash(PIN, { logN: 10, r: 8, p: 1 }, random)}\n`);
await chmod(pinFile, 0o600);
const operatorPinHash = await loadOperatorPin(pinFile);

async function screenServer(config: ScreenConfigInput): Promise<ScreenServer> {
  const s = await startScreenServer({ config, agent, station, feed, operatorPinHash, clock: systemClock, logger: screenLog, random });
  t.teardown(() => s.close());
  return s;
}
// Long timeouts here: the test returns to the start by itself (Finish); the idle test has its own server.
const server = await screenServer({ idleMs: 120_000, resultMs: 120_000 });
const br = await launchBrowser(t);
const outside: string[] = [];

async function openPage(url: string, locale = 'en-US'): Promise<Page> {
  const ctx = await br.context({ locale });
  t.teardown(() => ctx.close());
  const page = await ctx.newPage();
  loopbackOnly(page, (u) => outside.push(u));
  await page.goto(url);
  return page;
}

/** Clicks the on-screen keys of `text`, switching between digits and letters as needed. */
async function typeKeys(page: Page, text: string): Promise<void> {
  for (const c of text) {
    const key = page.locator(`button[data-key="${c}"]:visible`);
    if ((await key.count()) === 0) await page.locator('button[data-action="letters"]:visible').click();
    await page.locator(`button[data-key="${c}"]:visible`).click();
  }
}

async function atStart(page: Page): Promise<void> {
  await page.waitForSelector('body[data-screen="start"] #start:not([disabled])');
}

/** Start → ID → code → OK. */
async function enter(page: Page, app: string, code: string): Promise<void> {
  await page.click('#start');
  await page.waitForSelector('body[data-screen="id"]');
  await typeKeys(page, app);
  await page.click('button[data-action="enter"]');
  await page.waitForSelector('body[data-screen="code"]');
  await typeKeys(page, code);
}

async function storage(page: Page): Promise<unknown> {
  return page.evaluate<number[]>('(async () => [localStorage.length, sessionStorage.length, (await indexedDB.databases()).length])()');
}

let apps: RigApp[] = [];

void t.test('a customer collects a card: keypad, live steps, success, the card at the gate', async (t) => {
  apps = await rig.addApps(3);
  const app = apps[0]!;
  const page = await openPage(server.url);
  await atStart(page);
  t.equal(await page.getAttribute('html', 'lang'), 'en');
  await br.screenshot(page, 'kiosk-start');
  // Every step's text as the aria-live region shows it.
  await page.evaluate(`(() => {
    const live = document.getElementById('live');
    const seen = (window.seen = []);
    new MutationObserver(() => seen.push(live.textContent)).observe(live, { childList: true, characterData: true, subtree: true });
  })()`);
  await page.click('#start');
  await typeKeys(page, app.id);
  t.equal(await page.textContent('#entry-display'), app.id, 'the ID as typed');
  await br.screenshot(page, 'kiosk-application-id');
  await page.click('button[data-action="enter"]');
  await page.waitForSelector('body[data-screen="code"]');
  await typeKeys(page, app.code);
  t.equal(await page.textContent('#entry-display'), '•'.repeat(app.code.length), 'the code is masked');
  t.notMatch(await page.content(), app.code, 'the code is nowhere in the page');
  await br.screenshot(page, 'kiosk-code');
  // SELECT, INITIALIZE UPDATE, then the script: the 2nd script APDU waits while the screen is photographed.
  holding.arm(4);
  await page.click('button[data-action="enter"]');
  await holding.reached;
  await page.waitForSelector('body[data-screen="progress"] .steps li[data-step="write"].active');
  t.match(await page.textContent('#live'), /^Writing: step 1 of \d+$/);
  t.equal(await page.getAttribute('#live', 'aria-live'), 'polite');
  await br.screenshot(page, 'kiosk-progress');
  holding.release();
  await page.waitForSelector('body[data-screen="result"][data-outcome="issued"]');
  t.equal(await page.textContent('#result-title'), 'Your card is ready');
  t.equal(await page.textContent('#result-next'), 'Please take your card from the slot.');
  await br.screenshot(page, 'kiosk-success');
  const seen = await page.evaluate<string[]>('window.seen');
  for (const step of ['Checking your request…', 'Taking a blank card…', 'Card read; it is being checked…', 'Verifying your card…', 'Done.']) t.ok(seen.includes(step), `live step: ${step}`);
  t.ok(seen.some((s) => /^Writing: step \d+ of \d+$/.test(s)), 'live step: writing k of n');

  const job = await rig.jobOf(app.id);
  t.equal(job?.state, 'ISSUED', 'the center issued the job');
  t.equal((await simStation.cards('gate')).length, 1, 'the card went to the gate');

  await page.click('#finish');
  await atStart(page);
  t.equal(await page.textContent('#entry-display'), '', 'what was typed is gone');
  t.same(await storage(page), [0, 0, 0], 'no localStorage, sessionStorage or IndexedDB');
  t.same(outside, [], 'no request left loopback');
});

void t.test('a wrong code: the failure, what to do, and the attempts left', async (t) => {
  const app = apps[1]!;
  const page = await openPage(server.url);
  await atStart(page);
  await enter(page, app.id, '99999999' === app.code ? '88888888' : '99999999');
  await page.click('button[data-action="enter"]');
  await page.waitForSelector('body[data-screen="result"][data-outcome="refused"]');
  t.equal(await page.textContent('#result-title'), 'Your card could not be issued');
  t.match(await page.textContent('#result-text'), /^The application ID or the code is wrong\. \d+ attempts left\.$/);
  t.equal(await page.textContent('#result-next'), 'Check your application ID and code and try again.');
  await br.screenshot(page, 'kiosk-wrong-code');
  t.not((await rig.jobOf(app.id))?.state, 'ISSUED', 'nothing issued for a wrong code');
  t.equal((await simStation.cards('gate')).length, 1, 'no second card at the gate');
  await page.click('#finish');
  await atStart(page);
  t.same(await storage(page), [0, 0, 0]);
});

void t.test('the Japanese view: every screen switches, lang is set, reasons in Japanese', async (t) => {
  const app = apps[1]!;
  const page = await openPage(server.url, 'ja-JP');
  await atStart(page);
  await page.click('#lang');
  t.equal(await page.getAttribute('html', 'lang'), 'ja');
  t.equal(await page.textContent('#start'), 'はじめる');
  t.equal(await page.textContent('#lang'), 'English', 'the switch offers the other language');
  await br.screenshot(page, 'kiosk-ja-start');
  await page.click('#start');
  t.equal(await page.textContent('#entry-prompt'), '申込番号を入力してください');
  await typeKeys(page, app.id);
  await page.click('button[data-action="enter"]');
  t.equal(await page.textContent('#entry-prompt'), 'ワンタイムコードを入力してください');
  await typeKeys(page, '99999999' === app.code ? '88888888' : '99999999');
  await br.screenshot(page, 'kiosk-ja-code');
  await page.click('button[data-action="enter"]');
  await page.waitForSelector('body[data-screen="result"][data-outcome="refused"]');
  t.equal(await page.textContent('#result-title'), 'カードを発行できませんでした');
  t.match(await page.textContent('#result-text'), /^申込番号またはコードが正しくありません。 残り \d+ 回です。$/);
  await br.screenshot(page, 'kiosk-ja-wrong-code');
  // The switch works on the result screen too, and the result follows.
  await page.click('#lang');
  t.equal(await page.getAttribute('html', 'lang'), 'en');
  t.match(await page.textContent('#result-text'), /^The application ID or the code is wrong\./);
  await page.click('#finish');
  await atStart(page);
});

void t.test('an idle screen goes back to the start and forgets what was typed', async (t) => {
  // 4 s, not less: every key restarts the idle timer, and a click on a loaded 2-core CI machine can take most of a second.
  const idle = await screenServer({ idleMs: 4000, resultMs: 4000 });
  const page = await openPage(idle.url);
  await atStart(page);
  await page.click('#start');
  await typeKeys(page, 'ABC12');
  t.equal(await page.textContent('#entry-display'), 'ABC12');
  await br.screenshot(page, 'kiosk-idle-typed');
  await page.waitForSelector('body[data-screen="start"]', { timeout: 10_000 });
  t.equal(await page.textContent('#entry-display'), '', 'the display is cleared');
  await page.click('#start');
  t.equal(await page.textContent('#entry-display'), '', 'the next customer starts empty');
  await br.screenshot(page, 'kiosk-idle-reset');
  // The result screen times out too.
  await page.click('button[data-action="enter"]');
  t.equal(await page.getAttribute('body', 'data-screen'), 'id', 'an empty ID does not go on');
  await enter(page, apps[2]!.id, '99999999' === apps[2]!.code ? '88888888' : '99999999');
  await page.click('button[data-action="enter"]');
  await page.waitForSelector('body[data-screen="result"]');
  await page.waitForSelector('body[data-screen="start"]', { timeout: 10_000 });
  t.same(await storage(page), [0, 0, 0]);
});

void t.test('the page gets its stream once a slot frees: refused while another holds the customer streams, then ready by itself', async (t) => {
  const capped = await screenServer({ maxCustomerStreams: 1 });
  // Another local client holds the one customer slot.
  let holder: ClientRequest | undefined;
  await new Promise<void>((resolve, reject) => {
    holder = httpRequest(`${capped.url}api/events`, (res) => {
      t.equal(res.statusCode, 200, 'the holder has the slot');
      resolve();
    });
    holder.on('error', reject);
    holder.end();
  });
  const page = await openPage(capped.url);
  await page.waitForSelector('body[data-screen="start"]');
  await page.waitForTimeout(2500);
  t.ok(await page.locator('#start[disabled]').count(), 'not ready while its stream is refused (503 too-many-streams)');
  t.match(screenLog.lines.join(''), /"code":"too-many-streams"/);
  holder!.destroy();
  await atStart(page);
  t.pass('the page retried and is ready');
});

void t.test('the operator view: a wrong PIN is refused; the right one shows exchanges, reader, hopper, errors, live', async (t) => {
  const page = await openPage(`${server.url}operator`);
  await page.waitForSelector('body[data-view="login"]');
  await br.screenshot(page, 'kiosk-operator-login');
  for (const d of '111111') await page.click(`button[data-key="${d}"]`);
  await page.click('#login');
  await page.waitForSelector('#login-error:text("Wrong PIN.")');
  t.equal(await page.inputValue('#pin'), '', 'the PIN field is cleared after each try');
  for (const d of PIN) await page.click(`button[data-key="${d}"]`);
  await page.click('#login');
  await page.waitForSelector('body[data-view="dash"]');
  // The replay: what the customers above caused.
  for (const type of ['hello', 'welcome', 'request', 'request-refused', 'insert-card', 'card', 'result', 'issued', 'card-done']) {
    await page.waitForSelector(`#exchanges tr[data-type="${type}"]`);
  }
  await page.waitForSelector('#st-reader:text("authenticated")');
  t.equal(await page.textContent('#st-reader'), `${station.identity.id}: authenticated`);
  t.equal(await page.textContent('#st-link'), 'up');
  const hopper = await simStation.status();
  t.equal(await page.textContent('#st-hopper'), `${hopper.hopper}, ${hopper.hopperRemaining} cards`, 'the hopper as the station reports it');
  t.equal(hopper.hopperRemaining, 2, 'one card of three went out');
  t.equal(await page.textContent('#st-phase'), 'ready');
  await page.waitForSelector('#errors td[data-col="code"]:text("bad-credentials")');
  const body = await page.content();
  for (const a of apps) t.notMatch(body, a.code, 'no code in the operator view');
  t.notMatch(body, /DGI|"body"|"payload"/, 'no payloads');
  await br.screenshot(page, 'kiosk-operator');

  // Live: a customer's wrong code (through the API, as the page would post it) shows up without a reload.
  const before = await page.locator('#exchanges tr[data-type="request"]').count();
  const res = await fetch(`${server.url}api/request`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: server.url.slice(0, -1) },
    body: JSON.stringify({ application: apps[2]!.id, code: '99999999' === apps[2]!.code ? '88888888' : '99999999' }),
  });
  t.equal(res.status, 200);
  t.match(await res.json(), { outcome: 'refused', reason: 'bad-credentials', attemptsLeft: Number });
  await page.waitForFunction(`document.querySelectorAll('#exchanges tr[data-type="request"]').length > ${before}`);
  t.same(await storage(page), [0, 0, 0]);

  await page.click('#logout');
  await page.waitForSelector('body[data-view="login"]');
  await br.screenshot(page, 'kiosk-operator-logout');
  t.same(outside, [], 'no request left loopback');
});

void t.test('nothing secret in the logs', (t) => {
  const lines = [...screenLog.lines, ...kioskLog.lines].join('\n');
  for (const a of apps) t.notMatch(lines, a.code, 'no one-time code');
  t.notMatch(lines, PIN, 'no PIN');
  t.match(lines, /"msg":"customer served"/);
  t.end();
});
