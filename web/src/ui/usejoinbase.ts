// The base URL for the links staff hand out (join links, invitations):
// koe's reachable address (GET /api/v1/config), not the one this page
// happens to be open at (when no address is reachable from elsewhere,
// this page's own).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import type { ClientConfig } from '../types';
import { joinBase } from './joinbase';

export function useJoinBase(): string {
  const [cfg, setCfg] = useState<ClientConfig | null>(null);
  useEffect(() => {
    api.clientConfig().then(setCfg, () => {});
  }, []);
  const j = joinBase(cfg, location.origin);
  // Unreachable either way: this page's own address keeps its cookies.
  return j.unreachable ? location.origin : j.base;
}
