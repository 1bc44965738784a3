// Text rules shared with the server (text.go): a question is 1-500 Unicode
// code points after NFC normalisation and trimming.
export const maxQuestion = 500;
export const maxReply = 1000;
export const maxName = 40;

export function countChars(s: string): number {
  return [...s.replace(/\r\n?/g, '\n').normalize('NFC').trim()].length;
}

/** Join codes: 6 characters, no 0/O/1/I/L. Case-insensitive. */
export const joinCodeAlphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export function normalizeCode(s: string): string {
  return s.toUpperCase().replace(/[\s-]/g, '');
}

export function validCode(s: string): boolean {
  const c = normalizeCode(s);
  return c.length === 6 && [...c].every((ch) => joinCodeAlphabet.includes(ch));
}
