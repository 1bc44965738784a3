// Where the presenter screen's join link points: the base URL koe serves
// (GET /api/v1/config: KOE_PUBLIC_URL, or a LAN address koe found at
// start), so that a projector page opened at http://localhost:8080 still
// shows a link phones on the venue network can open.
import type { ClientConfig } from '../types';

/** Whether a host name reaches this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::1' || h === '0:0:0:0:0:0:0:1';
}

/**
 * The base URL of join links, and whether phones cannot reach it. koe's
 * reachable base comes first; when koe knows only a loopback address, the
 * page's own origin is better if it is not loopback (opened by a LAN
 * address or through a proxy); otherwise the link is unreachable and the
 * screen says so. cfg null: not loaded (or an older koe): the origin.
 */
export function joinBase(cfg: ClientConfig | null, origin: string): { base: string; unreachable: boolean } {
  const served = (cfg?.join_base_url ?? '').replace(/\/+$/, '');
  if (served && !cfg?.loopback) return { base: served, unreachable: false };
  let pageLoopback = false;
  try {
    pageLoopback = isLoopbackHost(new URL(origin).hostname);
  } catch {
    pageLoopback = false;
  }
  if (!pageLoopback) return { base: origin, unreachable: false };
  return { base: served || origin, unreachable: cfg !== null };
}

/** The link as shown under the QR code: without the scheme. */
export function shortLink(url: string): string {
  return url.replace(/^https?:\/\//, '');
}
