// Ad-hoc screenshots while designing: node e2e/shot.mjs URL out.png [w h] [locale]
import { launch } from './lib/browser.mjs';
const [url, out, w = '390', h = '844', loc = 'en-US', token] = process.argv.slice(2);
const b = await launch();
const ctx = await b.newContext({ viewport: { width: +w, height: +h }, locale: loc, deviceScaleFactor: 1 });
const p = await ctx.newPage();
p.on('console', (m) => console.log('console:', m.type(), m.text()));
p.on('pageerror', (e) => console.log('pageerror:', e.message));
const origin = new URL(url).origin;
if (token) await p.request.post(origin + '/api/v1/session', { data: { token }, headers: { Origin: origin } });
if (process.env.JOIN) await p.request.post(origin + '/api/v1/join', { data: { code: process.env.JOIN, display_name: process.env.NAME ?? '' }, headers: { Origin: origin } });
await p.goto(url);
await p.waitForTimeout(+(process.env.WAIT ?? 1200));
await p.screenshot({ path: out, fullPage: !!process.env.FULL });
await b.close();
