import { describe, expect, it } from 'vitest';
import { b64urlToBytes, bytesToB64url, creationOptions, credentialJSON, requestOptions } from './webauthn';

const bytes = (...n: number[]) => new Uint8Array(n).buffer;

describe('base64url', () => {
  it('round-trips every length and the URL-safe alphabet', () => {
    for (let n = 0; n < 40; n++) {
      const b = new Uint8Array(n).map((_, i) => (i * 97 + 251) & 255);
      const s = bytesToB64url(b);
      expect(s).not.toMatch(/[+/=]/);
      expect([...b64urlToBytes(s)]).toEqual([...b]);
    }
    expect(bytesToB64url(bytes(0xfb, 0xff))).toBe('-_8');
    expect([...b64urlToBytes('-_8')]).toEqual([0xfb, 0xff]);
  });
});

describe('options', () => {
  it('decodes the challenge, the user id and the credentials to exclude', () => {
    const o = creationOptions({
      challenge: 'AQID', rp: { name: 'koe', id: 'localhost' }, user: { id: 'BAU', name: 'aiko', displayName: 'Aiko' },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }], excludeCredentials: [{ type: 'public-key', id: 'Bw', transports: ['internal'] }],
    });
    expect([...new Uint8Array(o.challenge as ArrayBuffer)]).toEqual([1, 2, 3]);
    expect([...new Uint8Array(o.user.id as ArrayBuffer)]).toEqual([4, 5]);
    expect(o.rp).toEqual({ name: 'koe', id: 'localhost' });
    expect([...new Uint8Array(o.excludeCredentials![0].id as ArrayBuffer)]).toEqual([7]);
    expect(o.excludeCredentials![0].transports).toEqual(['internal']);
  });
  it('leaves out an absent or null list', () => {
    const o = requestOptions({ challenge: 'AQID', rpId: 'localhost', allowCredentials: null, userVerification: 'preferred' });
    expect('allowCredentials' in o).toBe(false);
    expect(o.rpId).toBe('localhost');
    expect([...new Uint8Array(o.challenge as ArrayBuffer)]).toEqual([1, 2, 3]);
  });
});

describe('credentialJSON', () => {
  it('encodes an attestation like toJSON()', () => {
    const j = credentialJSON({
      id: 'Bw', rawId: bytes(7), type: 'public-key', authenticatorAttachment: 'platform',
      response: { clientDataJSON: bytes(1), attestationObject: bytes(2, 3), getTransports: () => ['internal'] },
      getClientExtensionResults: () => ({ credProps: { rk: true } }),
    });
    expect(j).toEqual({
      id: 'Bw', rawId: 'Bw', type: 'public-key', authenticatorAttachment: 'platform',
      response: { clientDataJSON: 'AQ', attestationObject: 'AgM', transports: ['internal'] },
      clientExtensionResults: { credProps: { rk: true } },
    });
  });
  it('encodes an assertion, with the user handle', () => {
    const j = credentialJSON({
      id: 'Bw', rawId: bytes(7), type: 'public-key',
      response: { clientDataJSON: bytes(1), authenticatorData: bytes(2), signature: bytes(3), userHandle: bytes(4) },
    }) as { response: Record<string, string> };
    expect(j.response).toEqual({ clientDataJSON: 'AQ', authenticatorData: 'Ag', signature: 'Aw', userHandle: 'BA' });
  });
  it('prefers the browser\'s own toJSON', () => {
    expect(credentialJSON({ id: 'x', rawId: bytes(), type: 'public-key', response: { clientDataJSON: bytes() }, toJSON: () => ({ own: true }) })).toEqual({ own: true });
  });
});
