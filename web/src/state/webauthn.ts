// WebAuthn's JSON forms: the server sends options with base64url strings
// where the browser API wants ArrayBuffers, and wants the credential back
// as PublicKeyCredential.toJSON() makes it. Current Chromium does this
// itself (parseCreationOptionsFromJSON, toJSON); older browsers get these.

export function b64urlToBytes(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToB64url(b: ArrayBuffer | ArrayBufferView): string {
  const u = b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  let bin = '';
  for (let i = 0; i < u.length; i++) bin += String.fromCharCode(u[i]);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

type J = Record<string, unknown>;

function descriptors(list: unknown): PublicKeyCredentialDescriptor[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.map((d: J) => ({ ...(d as object), type: 'public-key', id: b64urlToBytes(String(d.id)) }) as PublicKeyCredentialDescriptor);
}

/** The server's creation options ({publicKey:{…}}'s publicKey) for navigator.credentials.create. */
export function creationOptions(pk: J): PublicKeyCredentialCreationOptions {
  const user = pk.user as J;
  const out: J = { ...pk, challenge: b64urlToBytes(String(pk.challenge)), user: { ...user, id: b64urlToBytes(String(user.id)) } };
  const ex = descriptors(pk.excludeCredentials);
  if (ex) out.excludeCredentials = ex;
  else delete out.excludeCredentials;
  return out as unknown as PublicKeyCredentialCreationOptions;
}

/** The server's request options for navigator.credentials.get. */
export function requestOptions(pk: J): PublicKeyCredentialRequestOptions {
  const out: J = { ...pk, challenge: b64urlToBytes(String(pk.challenge)) };
  const allow = descriptors(pk.allowCredentials);
  if (allow) out.allowCredentials = allow;
  else delete out.allowCredentials;
  return out as unknown as PublicKeyCredentialRequestOptions;
}

/** The shape of a PublicKeyCredential that credentialJSON reads. */
export interface CredentialLike {
  id: string;
  rawId: ArrayBuffer;
  type: string;
  authenticatorAttachment?: string | null;
  response: {
    clientDataJSON: ArrayBuffer;
    attestationObject?: ArrayBuffer;
    authenticatorData?: ArrayBuffer;
    signature?: ArrayBuffer;
    userHandle?: ArrayBuffer | null;
    getTransports?: () => string[];
  };
  getClientExtensionResults?: () => unknown;
  toJSON?: () => unknown;
}

/** PublicKeyCredential.toJSON(), for browsers without it. */
export function credentialJSON(c: CredentialLike): unknown {
  if (typeof c.toJSON === 'function') {
    try {
      return c.toJSON();
    } catch {
      // fall through: some versions throw on extensions they cannot encode
    }
  }
  const r = c.response;
  const response: J = { clientDataJSON: bytesToB64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = bytesToB64url(r.attestationObject);
    if (typeof r.getTransports === 'function') response.transports = r.getTransports();
  }
  if (r.authenticatorData) response.authenticatorData = bytesToB64url(r.authenticatorData);
  if (r.signature) response.signature = bytesToB64url(r.signature);
  if (r.userHandle) response.userHandle = bytesToB64url(r.userHandle);
  return {
    id: c.id,
    rawId: bytesToB64url(c.rawId),
    type: c.type,
    authenticatorAttachment: c.authenticatorAttachment ?? undefined,
    response,
    clientExtensionResults: typeof c.getClientExtensionResults === 'function' ? c.getClientExtensionResults() : {},
  };
}

/** Whether this browser can use passkeys at all. */
export function webauthnAvailable(): boolean {
  return typeof window !== 'undefined' && typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;
}

/** Registers a new passkey with the server's options; returns the credential's JSON. */
export async function createCredential(publicKey: J): Promise<unknown> {
  const cred = (await navigator.credentials.create({ publicKey: creationOptions(publicKey) })) as unknown as CredentialLike | null;
  if (!cred) throw new DOMException('no credential', 'NotAllowedError');
  return credentialJSON(cred);
}

/** Signs the server's challenge with a passkey; returns the assertion's JSON. */
export async function getAssertion(publicKey: J): Promise<unknown> {
  const cred = (await navigator.credentials.get({ publicKey: requestOptions(publicKey) })) as unknown as CredentialLike | null;
  if (!cred) throw new DOMException('no credential', 'NotAllowedError');
  return credentialJSON(cred);
}
