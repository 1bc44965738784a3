// After vite build: gzip the assets for koe to serve precompressed, check
// that the HTML has nothing the Content-Security-Policy would block, and
// print the audience page's JavaScript size (gzip -9), which has a budget.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const assets = join(dist, 'assets');
const budgetKB = 100;

const gz = (b) => gzipSync(b, { level: 9 });
let total = 0;
for (const f of readdirSync(assets)) {
  if (!/\.(js|css|svg)$/.test(f)) continue;
  const b = readFileSync(join(assets, f));
  const z = gz(b);
  if (f.endsWith('.js')) total += z.length;
  if (z.length < b.length) writeFileSync(join(assets, f + '.gz'), z);
}

writeFileSync(join(dist, '.gitkeep'), ''); // vite emptied dist; git keeps the folder

const html = readFileSync(join(dist, 'index.html'), 'utf8');
if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html) || /\sstyle=/i.test(html) || /<style/i.test(html)) {
  console.error('index.html has inline script or style, which the CSP blocks');
  process.exit(1);
}

// The audience page loads the entry script and what it imports statically
// (modulepreload links); the screen and staff chunks load on demand.
const audience = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]);
const bytes = [...new Set(audience)].reduce((n, f) => n + gz(readFileSync(join(assets, f))).length, 0);
const kb = (n) => (n / 1024).toFixed(1);
console.log(`web_audience_js_gzip_kb=${kb(bytes)} files=${audience.length} budget_kb=${budgetKB}`);
console.log(`web_total_js_gzip_kb=${kb(total)}`);
if (bytes / 1024 > budgetKB) {
  console.error(`audience JavaScript is over its ${budgetKB} KB budget`);
  process.exit(1);
}
