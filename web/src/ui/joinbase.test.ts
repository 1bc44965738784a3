import { describe, expect, it } from 'vitest';
import { isLoopbackHost, joinBase, shortLink } from './joinbase';

describe('joinBase', () => {
  it('uses the reachable base koe serves, whatever the page was opened on', () => {
    expect(joinBase({ join_base_url: 'http://192.168.1.20:8080', loopback: false, reaction_palette: [] }, 'http://localhost:8080')).toEqual({
      base: 'http://192.168.1.20:8080',
      unreachable: false,
    });
    expect(joinBase({ join_base_url: 'https://qa.example.org/', loopback: false, reaction_palette: [] }, 'http://127.0.0.1:8080')).toEqual({
      base: 'https://qa.example.org',
      unreachable: false,
    });
  });
  it('prefers a non-loopback page origin to a loopback base', () => {
    expect(joinBase({ join_base_url: 'http://localhost:8080', loopback: true, reaction_palette: [] }, 'https://koe.lan')).toEqual({
      base: 'https://koe.lan',
      unreachable: false,
    });
  });
  it('warns when only a loopback address is known', () => {
    expect(joinBase({ join_base_url: 'http://localhost:8080', loopback: true, reaction_palette: [] }, 'http://127.0.0.1:8080')).toEqual({
      base: 'http://localhost:8080',
      unreachable: true,
    });
    expect(joinBase({ join_base_url: '', loopback: false, reaction_palette: [] }, 'http://localhost:8080')).toEqual({
      base: 'http://localhost:8080',
      unreachable: true,
    });
  });
  it('uses the origin, without a warning, until the config is loaded', () => {
    expect(joinBase(null, 'http://localhost:8080')).toEqual({ base: 'http://localhost:8080', unreachable: false });
  });
});

describe('isLoopbackHost', () => {
  it('knows loopback names and addresses', () => {
    for (const h of ['localhost', 'koe.localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['192.168.1.20', 'koe.example.org', '[2001:db8::1]', '10.0.0.1', 'localhost.example.org'])
      expect(isLoopbackHost(h)).toBe(false);
  });
  it('shortens links for display', () => {
    expect(shortLink('http://192.168.1.20:8080/j/ABC234')).toBe('192.168.1.20:8080/j/ABC234');
  });
});
