import { describe, expect, it } from 'vitest';
import { countChars, normalizeCode, validCode } from './text';

describe('text rules', () => {
  it('counts code points after NFC and trimming, like the server', () => {
    expect(countChars('  hello  ')).toBe(5);
    expect(countChars('e\u0301')).toBe(1); // é composed by NFC
    expect(countChars('😀😀')).toBe(2); // surrogate pairs are one each
    expect(countChars('質問です')).toBe(4);
    expect(countChars('a\r\nb')).toBe(3);
    expect(countChars('\u3000全角スペース\u3000')).toBe(6);
  });

  it('checks join codes case-insensitively with the server alphabet', () => {
    expect(validCode('abc234')).toBe(true);
    expect(normalizeCode(' abc-234 ')).toBe('ABC234');
    expect(validCode('ABC23')).toBe(false);
    expect(validCode('ABCD10')).toBe(false); // 1 and 0 are not used
    expect(validCode('OILABC')).toBe(false);
  });
});
