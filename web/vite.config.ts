import { defineConfig } from 'vitest/config';
import preact from '@preact/preset-vite';

// koe serves the build itself (web/embed.go). In development, `npm run dev`
// serves the UI with hot reload and sends the API, health checks and the
// WebSocket to a koe on 127.0.0.1:8080 (KOE_DEV_API overrides it). The Host
// header is kept so koe's same-origin checks see the page's own origin.
const api = process.env.KOE_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [preact({ devtoolsInProd: false, prefreshEnabled: true })],
  build: {
    target: 'es2020',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: api, ws: true, changeOrigin: false },
      '/healthz': api,
      '/readyz': api,
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
