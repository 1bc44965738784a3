// A QR code drawn as SVG from qrcode-generator's modules: no markup strings,
// no inline styles, crisp at any size.
import qrcode from 'qrcode-generator';
import { useMemo } from 'preact/hooks';

export function qrPath(text: string): { size: number; d: string } {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  let d = '';
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      if (qr.isDark(y, x)) d += `M${x} ${y}h1v1h-1z`;
    }
  }
  return { size: n, d };
}

export function QRCode({ text, label }: { text: string; label: string }) {
  const { size, d } = useMemo(() => qrPath(text), [text]);
  const m = 4; // the quiet zone the standard asks for
  return (
    <svg class="qr" viewBox={`${-m} ${-m} ${size + 2 * m} ${size + 2 * m}`} role="img" aria-label={label} shape-rendering="crispEdges">
      <rect x={-m} y={-m} width={size + 2 * m} height={size + 2 * m} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
