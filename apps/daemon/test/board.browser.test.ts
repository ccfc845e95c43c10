/// <reference lib="dom" />
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiTask } from '@colibri/api';
import puppeteer, { type Browser, type BrowserContext, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, raw, SEED_HOSTS, startDaemon } from './daemon-harness.js';

// The board in a real browser: Debian's chromium (installed by `scripts/setup.sh --with-test-tools`)
// driven headless by puppeteer-core, against a real colibrid serving TCP on loopback. One browser
// for the whole file; each test gets its own browser context (its own cookies).

const CHROMIUM = process.env.COLIBRI_CHROMIUM ?? '/usr/bin/chromium';
/** Set to a path to save a screenshot of the first screen there (the README's docs/board.png). */
const SCREENSHOT = process.env.COLIBRI_BOARD_SCREENSHOT;
const XSS = '<img src=x onerror=alert(1)>';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let daemon: Daemon;
let browser: Browser;
let base: string;
let userDataDir: string;
const agents: Record<string, { id: string; token: string }> = {};
const tasks: Record<string, ApiTask> = {};

async function loginCode(token: string): Promise<string> {
  const reply = await raw(daemon.socketPath, {
    method: 'POST',
    path: '/v1/board/login-codes',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(reply.status).toBe(201);
  return (reply.json as { path: string }).path;
}

/** A fresh browser context (no cookies), a page in it, and every dialog the page opens. */
async function freshPage(): Promise<{ context: BrowserContext; page: Page; dialogs: string[] }> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1440, height: 1000 });
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return { context, page, dialogs };
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${base}${await loginCode(token)}`);
  expect(page.url()).toBe(`${base}/board`);
  await page.waitForSelector('#live-state[data-state="live"]', { timeout: 10_000 });
}

/**
 * Clicks `selector` and waits for the navigation it starts. The query and the click run in one
 * task of the page: a live refresh (htmx swapping #live on a change event) between puppeteer's
 * query and its click would otherwise leave it holding a detached button.
 */
const clickAndNavigate = (page: Page, selector: string) =>
  Promise.all([
    page.waitForNavigation(),
    page.$eval(selector, (element) => (element as HTMLElement).click()),
  ]);

/** The text of `selector` as a reader sees it (rendered: table cells apart, hidden parts left out). */
const text = (page: Page, selector: string) =>
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what the test checks
  page.$eval(selector, (element) => (element as HTMLElement).innerText);

beforeAll(async () => {
  const port = await freePort();
  // The agents are seeded once and heartbeat only then; a TTL longer than the file can take on a
  // loaded CI machine keeps them online to the last test (it took over a minute under load).
  daemon = await startDaemon({ args: ['--listen', `127.0.0.1:${port}`, '--heartbeat-ttl', '30m'] });
  base = `http://127.0.0.1:${port}`;
  userDataDir = mkdtempSync(join(tmpdir(), 'colibri-board-chromium-'));
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    userDataDir,
    args: [
      '--no-sandbox',
      '--headless=new',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const { operator } = daemon;
  for (const seed of SEED_HOSTS.agents) {
    const { agent, token } = await operator.registerAgent({
      name: seed.name,
      host: seed.host,
      capabilities: seed.capabilities,
    });
    agents[seed.name] = { id: agent.id, token };
    await operator.heartbeat(agent.id);
  }
  // A gpu box that went offline: gpu has been advertised, but no capable agent is online.
  const gpuBox = await operator.registerAgent({
    name: 'gpu-box',
    host: 'rig',
    capabilities: ['linux', 'gpu'],
    // A skill whose description is markup: the board shows it as a tooltip, never as HTML.
    skills: [{ name: 'train-model', description: XSS, requiredCapabilities: ['gpu'] }],
  });
  agents['gpu-box'] = { id: gpuBox.agent.id, token: gpuBox.token };
  await operator.goOffline(gpuBox.agent.id, { reason: 'powered down for the night' });
  for (const [name, tenant, capabilities] of [
    ['acme-agent', 'acme', ['linux', 'report']],
    ['globex-agent', 'globex', ['linux', 'ledger']],
  ] as const) {
    await operator.registerTenant({ tenant });
    const { agent, token } = await operator.registerAgent({
      name,
      host: `${tenant}-jail`,
      tenant,
      capabilities: [...capabilities],
    });
    agents[name] = { id: agent.id, token };
    await daemon.client(token).heartbeat(agent.id);
  }
  await operator.recordProvision('acme', { outcome: 'written', collectionId: 'c-acme' });
  await operator.recordProvision('globex', {
    outcome: 'failed',
    collectionId: null,
    reason: 'vault server unreachable',
  });
  // Parked: nobody has a gpu; "cuda12" has never been advertised at all.
  tasks.gpu = (
    await operator.intakeTask({ title: 'train the tag model', requiredCapabilities: ['linux', 'gpu'] })
  ).task;
  tasks.cuda = (
    await operator.intakeTask({ title: 'cuda smoke test', requiredCapabilities: ['cuda12'] })
  ).task;
  // Done by domedog, with a hostile result; failed by hermes-osa.
  const render = (await operator.intakeTask({ title: 'render thumbnails', requiredCapabilities: ['ffmpeg'] }))
    .task;
  const dome = daemon.client(agents.domedog!.token);
  await dome.transitionTask(render.id, { to: 'running', attempt: 1 });
  await dome.transitionTask(render.id, {
    to: 'done',
    attempt: 1,
    result: { html: '</pre><script>alert(2)</script>', frames: 12 },
  });
  tasks.render = render;
  const nginx = (
    await operator.intakeTask({ title: 'check the nginx config', requiredCapabilities: ['nginx'] })
  ).task;
  await daemon.client(agents['hermes-osa']!.token).transitionTask(nginx.id, {
    to: 'failed',
    attempt: 1,
    error: 'nginx: [emerg] unknown directive "proxy_passs"',
  });
  // Each tenant's own work: acme's agent can do it, globex's waits for a "ledger-v2" nobody has.
  tasks.acme = (
    await daemon.client(agents['acme-agent']!.token).intakeTask({
      title: 'acme quarterly report',
      requiredCapabilities: ['report', 'pdf'],
    })
  ).task;
  tasks.globex = (
    await daemon.client(agents['globex-agent']!.token).intakeTask({
      title: 'globex ledger close',
      requiredCapabilities: ['ledger-v2'],
    })
  ).task;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await daemon?.dispose();
  if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
});

describe('the board in a real browser', () => {
  it('without a session shows the sign-in page and no data, for pages, fragments and the event stream', async () => {
    const { context, page } = await freshPage();
    try {
      for (const path of ['/board', `/board/tasks/${tasks.gpu!.id}`, `/board/agents/${agents.domedog!.id}`]) {
        const response = await page.goto(`${base}${path}`);
        expect(response?.status()).toBe(401);
        expect(await page.$('form[action="/board/login"] input[name="token"]')).not.toBeNull();
        const body = await page.content();
        for (const secret of ['train the tag model', 'domedog', tasks.gpu!.id, 'acme']) {
          expect(body).not.toContain(secret);
        }
      }
      const fragment = await raw(daemon.socketPath, {
        method: 'GET',
        path: '/board',
        headers: { 'hx-request': 'true' },
      });
      expect(fragment.status).toBe(401);
      expect(fragment.text).not.toContain('domedog');
      const events = await raw(daemon.socketPath, { method: 'GET', path: '/board/events' });
      expect(events.status).toBe(401);
      // A forged cookie is no session either.
      await context.setCookie({
        name: 'colibri_board',
        value: 'forged',
        domain: '127.0.0.1',
        path: '/board',
      });
      expect((await page.goto(`${base}/board`))?.status()).toBe(401);
      // A bad token is refused at sign-in; a join token signs in nothing.
      const join = await daemon.operator.createJoinToken({ tenant: 'acme' });
      for (const token of ['not-a-token', join.token]) {
        await page.goto(`${base}/board/login`);
        await page.type('input[name="token"]', token);
        await clickAndNavigate(page, 'button[type="submit"]');
        expect(await text(page, '.error')).toMatch(/neither the operator token nor an agent token/);
        expect(await page.content()).not.toContain('domedog');
      }
    } finally {
      await context.close();
    }
  });

  it('signs in through a one-time link: the code is spent, the URL and the page hold no secret, the cookie is HttpOnly and SameSite=Strict', async () => {
    const { context, page } = await freshPage();
    try {
      const link = await loginCode(daemon.operatorToken);
      await page.goto(`${base}${link}`);
      expect(page.url()).toBe(`${base}/board`);
      expect(await text(page, 'header.top')).toContain('signed in as the operator');
      const html = await page.content();
      expect(html).not.toContain(daemon.operatorToken);
      expect(html).not.toContain(link.split('=')[1]);
      const cookies = await context.cookies();
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatchObject({
        name: 'colibri_board',
        httpOnly: true,
        sameSite: 'Strict',
        path: '/board',
      });
      expect(cookies[0]!.value).not.toContain(daemon.operatorToken);
      // The same link again, in another browser: refused.
      const other = await freshPage();
      const again = await other.page.goto(`${base}${link}`);
      expect(again?.status()).toBe(401);
      expect(await text(other.page, '.error')).toMatch(/used already or has expired/);
      await other.context.close();
      // Signing in with the token typed into the form works as well.
      const typed = await freshPage();
      await typed.page.goto(`${base}/board/login`);
      await typed.page.type('input[name="token"]', daemon.operatorToken);
      await clickAndNavigate(typed.page, 'button[type="submit"]');
      expect(typed.page.url()).toBe(`${base}/board`);
      expect(await text(typed.page, '#agents')).toContain('hermes-osa');
      await typed.context.close();
      // Sign out: the cookie's session is gone.
      await clickAndNavigate(page, 'form[action="/board/logout"] button');
      expect(page.url()).toBe(`${base}/board/login`);
      expect((await page.goto(`${base}/board`))?.status()).toBe(401);
    } finally {
      await context.close();
    }
  });

  it('shows the first screen: waiting work by tag set with its badge, parked reasons inline, never-advertised tags, agents, tenants, recent outcomes', async () => {
    const { context, page } = await freshPage();
    try {
      await signIn(page, daemon.operatorToken);
      const waiting = await text(page, '#waiting');
      expect(waiting).toMatch(/gpu linux\s+1\s+\S+\s+no capable agent online/);
      const parked = await text(page, '#parked');
      expect(parked).toContain('train the tag model');
      expect(parked).toMatch(/closest: [^·]*domedog lacks gpu/);
      expect(parked).toContain('cuda12 was never advertised');
      expect(await page.$$eval('#parked .tag.never', (tags) => tags.map((t) => t.textContent))).toEqual([
        'cuda12 ⚠',
        'pdf ⚠',
        'ledger-v2 ⚠',
      ]);
      const agentsText = await text(page, '#agents');
      expect(agentsText).toMatch(/gpu-box\s+shared\s+linux gpu\s+offline/);
      expect(agentsText).toMatch(/gpu-box[^\n]*train-model/);
      expect(
        await page.$$eval('#agents .tag.skill', (spans) => spans.map((span) => span.getAttribute('title'))),
      ).toEqual([XSS]);
      for (const name of ['domedog', 'hermes-debby', 'hermes-osa', 'acme-agent', 'globex-agent']) {
        expect(agentsText).toContain(name);
      }
      expect(agentsText).toMatch(/acme-agent\s+acme\s+linux report\s+idle/);
      const tenants = await text(page, '#tenants');
      expect(tenants).toMatch(/acme\s+provisioned\s+written/);
      expect(tenants).toMatch(
        /globex\s+failed\s+failed \S+ ago\s+provision failed: vault server unreachable/,
      );
      expect(tenants).not.toContain('provision written');
      const recent = await text(page, '#recent');
      expect(recent).toMatch(/render thumbnails\s+done\s+shared\s+domedog/);
      expect(recent).toContain('unknown directive "proxy_passs"');
      if (SCREENSHOT !== undefined) await page.screenshot({ path: SCREENSHOT, fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('shows a task taken in through the API within 1 s, without a reload (server-sent events)', async () => {
    const { context, page } = await freshPage();
    try {
      await signIn(page, daemon.operatorToken);
      // A mark on the document: a reload would lose it.
      await page.evaluate(() => document.body.setAttribute('data-before', 'yes'));
      const title = `pushed ${Date.now()}`;
      await daemon.operator.intakeTask({ title, requiredCapabilities: ['screenshot'] });
      // A behaviour bound, not a benchmark: the refresh fallback is 30 s, so only the push is this fast.
      await page.waitForFunction(
        (t) => document.querySelector('#parked')?.textContent?.includes(t),
        { timeout: 1000 },
        title,
      );
      expect(await page.evaluate(() => document.body.getAttribute('data-before'))).toBe('yes');
      expect(await text(page, '#waiting')).toMatch(/screenshot ⚠\s+1\s/);
    } finally {
      await context.close();
    }
  });

  it('renders a hostile title and result as text and runs nothing', async () => {
    const { context, page, dialogs } = await freshPage();
    try {
      await signIn(page, daemon.operatorToken);
      const { task } = await daemon.operator.intakeTask({ title: XSS, requiredCapabilities: ['gpu'] });
      await page.waitForFunction(
        (t) => document.querySelector('#parked')?.textContent?.includes(t),
        { timeout: 5000 },
        XSS,
      );
      expect(await page.$$('#live img')).toHaveLength(0);
      await page.goto(`${base}/board/tasks/${task.id}`);
      expect(await text(page, '#task h2')).toBe(XSS);
      await page.goto(`${base}/board/tasks/${tasks.render!.id}`);
      expect(await text(page, '#result pre')).toContain('</pre><script>alert(2)</script>');
      expect(await page.$$('#live script, #page script, main script')).toHaveLength(0);
      await page.goto(`${base}/board/search?q=${encodeURIComponent('onerror')}`);
      expect(await text(page, '#search-tasks')).toContain(XSS);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(dialogs).toEqual([]);
      expect(await page.evaluate(() => document.querySelectorAll('img').length)).toBe(0);
    } finally {
      await context.close();
    }
  });

  it("shows a tenant agent only its tenant: its tasks, itself, no other tenant's task or agent, no tenants", async () => {
    const { context, page } = await freshPage();
    try {
      await signIn(page, agents['acme-agent']!.token);
      expect(await text(page, 'header.top')).toContain('agent acme-agent (tenant acme)');
      const body = await text(page, '#live');
      expect(body).toContain('acme quarterly report');
      // The shared lanes may serve acme, so its parked reason names them (as the API's does).
      expect(await text(page, '#parked')).toMatch(/closest: acme-agent lacks pdf; \S+ lacks report, pdf/);
      for (const other of ['globex', 'train the tag model', 'render thumbnails', 'check the nginx config']) {
        expect(body).not.toContain(other);
      }
      expect(
        await page.$$eval('#agents tbody tr', (rows) => rows.map((r) => r.querySelector('td')?.textContent)),
      ).toEqual(['acme-agent']);
      expect(await page.$('#tenants')).toBeNull();
      expect(await page.$('#payload')).toBeNull();
      const foreignTask = await page.goto(`${base}/board/tasks/${tasks.globex!.id}`);
      expect(foreignTask?.status()).toBe(403);
      expect(await page.content()).not.toContain('globex ledger close');
      const foreignAgent = await page.goto(`${base}/board/agents/${agents.domedog!.id}`);
      expect(foreignAgent?.status()).toBe(403);
      expect(await page.content()).not.toContain('ffmpeg');
      await page.goto(`${base}/board/search?q=ledger`);
      expect(await text(page, '#search-tasks')).toContain('No task matches');
      await page.goto(`${base}/board/tasks/${tasks.acme!.id}`);
      expect(await text(page, '#task')).toContain('acme quarterly report');
      expect(await page.$('form[action$="/cancel"]')).toBeNull();
    } finally {
      await context.close();
    }
  });

  it('finds by id, id prefix and name, and shows the task and agent pages', async () => {
    const { context, page } = await freshPage();
    try {
      await signIn(page, daemon.operatorToken);
      const search = async (q: string) => {
        await page.goto(`${base}/board`);
        await page.type('input[name="q"]', q);
        await clickAndNavigate(page, 'form[role="search"] button');
      };
      await search(tasks.gpu!.id);
      expect(page.url()).toBe(`${base}/board/tasks/${tasks.gpu!.id}`);
      const shown = await text(page, '#task');
      expect(shown).toMatch(/why parked\s+closest: \S+ lacks gpu; \S+ lacks gpu/);
      expect(shown).toContain('domedog lacks gpu');
      expect(await text(page, '#history')).toMatch(/before the first assignment/);
      await search(tasks.render!.id.slice(0, 8));
      expect(await text(page, '#search-tasks')).toContain('render thumbnails');
      await search('hermes-osa');
      expect(page.url()).toBe(`${base}/board/agents/${agents['hermes-osa']!.id}`);
      expect(await text(page, '#agent')).toMatch(/host\s+osa/);
      expect(await text(page, '#finished')).toContain('check the nginx config');
      expect(await text(page, '#agent')).toMatch(/skills\s+-/);
      await search('gpu-box');
      expect(await text(page, '#agent')).toMatch(/skills\s+train-model/);
      await search('hermes');
      expect(await text(page, '#search-agents')).toMatch(/hermes-debby[\s\S]*hermes-osa/);
      await page.goto(`${base}/board/tasks/${tasks.render!.id}`);
      expect(await text(page, '#history')).toMatch(/attempt 1[\s\S]*running[\s\S]*done/);
      expect(await text(page, '#payload')).toContain('null');
    } finally {
      await context.close();
    }
  });

  it('cancels a task with a confirmation step; a POST without the CSRF token changes nothing', async () => {
    const { context, page } = await freshPage();
    try {
      await signIn(page, daemon.operatorToken);
      const { task } = await daemon.operator.intakeTask({
        title: 'cancel me',
        requiredCapabilities: ['gpu'],
      });
      const forged = await page.evaluate(async (id) => {
        const response = await fetch(`/board/tasks/${id}/cancel`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'confirm=yes',
        });
        return response.status;
      }, task.id);
      expect(forged).toBe(403);
      expect((await daemon.operator.showTask(task.id)).task.status).toBe('parked');
      await page.goto(`${base}/board/tasks/${task.id}`);
      await clickAndNavigate(page, 'form[action$="/cancel"] button');
      expect(await text(page, '#confirm')).toMatch(/Cancel this task\?/);
      expect((await daemon.operator.showTask(task.id)).task.status).toBe('parked');
      await clickAndNavigate(page, '#confirm button');
      expect(page.url()).toBe(`${base}/board/tasks/${task.id}`);
      expect(await text(page, '#task')).toMatch(/status\s+cancelled/);
      const shown = await daemon.operator.showTask(task.id);
      expect(shown.task.status).toBe('cancelled');
      expect(shown.events.at(-1)?.reason).toBe('cancelled on the board');
    } finally {
      await context.close();
    }
  });

  it('retries a failed task with a confirmation step; a POST without the CSRF token changes nothing', async () => {
    const { context, page } = await freshPage();
    try {
      await signIn(page, daemon.operatorToken);
      const { task } = await daemon.operator.intakeTask({
        title: 'retry me',
        requiredCapabilities: ['image-render'],
      });
      expect(task.status).toBe('assigned');
      await daemon.operator.transitionTask(task.id, { to: 'failed', error: 'render farm on fire' });
      const forged = await page.evaluate(async (id) => {
        const response = await fetch(`/board/tasks/${id}/retry`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'confirm=yes',
        });
        return response.status;
      }, task.id);
      expect(forged).toBe(403);
      expect((await daemon.operator.showTask(task.id)).task.status).toBe('failed');
      await page.goto(`${base}/board/tasks/${task.id}`);
      expect(await page.$('form[action$="/cancel"]')).toBeNull();
      await clickAndNavigate(page, 'form[action$="/retry"] button');
      expect(await text(page, '#confirm')).toMatch(/Retry this task\?[\s\S]*attempt 2/);
      expect((await daemon.operator.showTask(task.id)).task.status).toBe('failed');
      await clickAndNavigate(page, '#confirm button');
      expect(page.url()).toBe(`${base}/board/tasks/${task.id}`);
      const shown = await daemon.operator.showTask(task.id);
      expect(shown.task).toMatchObject({ status: 'assigned', attempt: 2 });
      expect(shown.events.find((e) => e.from === 'failed')?.reason).toBe(
        'retried on the board (1 more attempt, up to 2)',
      );
      expect(await text(page, '#task')).toMatch(/attempt\s+2 of 2/);
      expect(await page.$('form[action$="/retry"]')).toBeNull();
    } finally {
      await context.close();
    }
  });
});
