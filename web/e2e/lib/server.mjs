// Starts a real `koe serve` on a free loopback port with a fresh data
// directory, and stops it again.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/**
 * Starts koe. Without token, koe has no owner token and prints its
 * first-run setup link (setupLink() waits for it). host is the name the
 * returned base URL uses: WebAuthn needs a host name (localhost), not an
 * IP address.
 */
export async function startKoe({ token, rateLimits = '', seed = false, host = '127.0.0.1', env = {} }) {
  const bin = resolve(process.env.KOE_BIN ?? new URL('../../../bin/koe', import.meta.url).pathname);
  if (!existsSync(bin)) throw new Error(`${bin} not found: run make build (or make e2e)`);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'koe-e2e-'));
  const logs = [];
  let seeded = '';
  if (seed) {
    try {
      seeded = execFileSync(bin, ['seed', '--data-dir', dir], { encoding: 'utf8' });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }
  const childEnv = { ...process.env, KOE_RATE_LIMITS: rateLimits, KOE_LOG_LEVEL: 'warn', ...env };
  if (token) childEnv.KOE_OWNER_TOKEN = token;
  else delete childEnv.KOE_OWNER_TOKEN;
  const child = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--data-dir', dir], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // KOE_E2E_LOGS=1 shows koe's own output (warnings and errors) beside the test's.
  const echo = process.env.KOE_E2E_LOGS ? (d) => process.stderr.write(d) : () => {};
  child.stdout.on('data', (d) => logs.push(String(d)));
  child.stderr.on('data', (d) => (logs.push(String(d)), echo(d)));
  const base = `http://${host}:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`koe exited: ${logs.join('')}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`koe did not become ready: ${logs.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    logs,
    seeded,
    port,
    /** The path and fragment of the setup link koe printed (/setup#…), on this base. */
    async setupLink(timeout = 5000) {
      const end = Date.now() + timeout;
      for (;;) {
        const m = /https?:\/\/[^/\s]+(\/setup#\S+)/.exec(logs.join(''));
        if (m) return base + m[1];
        if (Date.now() > end) throw new Error(`no setup link in koe's output: ${logs.join('')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A JSON API client for setting up data (staff bearer token). */
export function apiClient(base, token) {
  return async function call(method, path, body) {
    const r = await fetch(base + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}
