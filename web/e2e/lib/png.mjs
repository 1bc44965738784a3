// A small PNG reader for the browser tests (no dependency): 8-bit
// greyscale, RGB, palette-less RGBA and grey+alpha, not interlaced — what
// Chromium's screenshots are. decodePNG gives the pixels as RGBA; alphaAt
// and the box helpers read them.
import { deflateSync, inflateSync } from 'node:zlib';

const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** { width, height, rgba } of a PNG file's bytes (rgba: width*height*4 bytes). */
export function decodePNG(buf) {
  if (!Buffer.isBuffer(buf)) buf = Buffer.from(buf);
  if (!buf.subarray(0, 8).equals(signature)) throw new Error('not a PNG');
  let pos = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let type = 0;
  let interlace = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const kind = buf.toString('ascii', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    pos += 12 + len;
    if (kind === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      depth = data[8];
      type = data[9];
      interlace = data[12];
    } else if (kind === 'IDAT') idat.push(data);
    else if (kind === 'IEND') break;
  }
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[type];
  if (depth !== 8 || !channels || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, colour type ${type}, interlace ${interlace}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const px = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = px.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? px.subarray((y - 1) * stride, y * stride) : null;
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels] : 0;
      const b = prev ? prev[i] : 0;
      const c = prev && i >= channels ? prev[i - channels] : 0;
      let v = line[i];
      switch (filter) {
        case 0:
          break;
        case 1:
          v += a;
          break;
        case 2:
          v += b;
          break;
        case 3:
          v += (a + b) >> 1;
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw new Error(`bad PNG filter ${filter} on row ${y}`);
      }
      out[i] = v & 255;
    }
  }
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0, j = 0; i < width * height; i++, j += channels) {
    const o = i * 4;
    if (channels === 4) px.copy(rgba, o, j, j + 4);
    else if (channels === 3) {
      px.copy(rgba, o, j, j + 3);
      rgba[o + 3] = 255;
    } else if (channels === 2) {
      rgba[o] = rgba[o + 1] = rgba[o + 2] = px[j];
      rgba[o + 3] = px[j + 1];
    } else {
      rgba[o] = rgba[o + 1] = rgba[o + 2] = px[j];
      rgba[o + 3] = 255;
    }
  }
  return { width, height, rgba };
}

/** The alpha (0–255) of pixel (x, y). */
export function alphaAt(img, x, y) {
  return img.rgba[(Math.floor(y) * img.width + Math.floor(x)) * 4 + 3];
}

/** The largest alpha in the box {x, y, width, height} (clipped to the image). */
export function maxAlpha(img, box) {
  let m = 0;
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(img.width, Math.ceil(box.x + box.width));
  const y1 = Math.min(img.height, Math.ceil(box.y + box.height));
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m = Math.max(m, img.rgba[(y * img.width + x) * 4 + 3]);
  return m;
}

/** The share (0–1) of pixels in box whose alpha is over min. */
export function opaqueShare(img, box, min = 200) {
  let n = 0;
  let all = 0;
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(img.width, Math.ceil(box.x + box.width));
  const y1 = Math.min(img.height, Math.ceil(box.y + box.height));
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      all++;
      if (img.rgba[(y * img.width + x) * 4 + 3] > min) n++;
    }
  }
  return all ? n / all : 0;
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** An RGBA image {width, height, rgba} as PNG bytes. */
export function encodePNG({ width, height, rgba }) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * img drawn over a stand-in for a video frame (a diagonal gradient with
 * bright and dark bands), opaque: how the overlay looks in OBS, for people
 * to look at.
 */
export function overVideo(img) {
  const { width, height } = img;
  const out = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const t = (x / width + y / height) / 2;
      const band = Math.floor((x + y) / 160) % 2 ? 1 : 0.82;
      const bg = [(40 + 170 * t) * band, (90 + 60 * (1 - t)) * band, (120 + 100 * Math.sin(t * 3)) * band];
      const a = img.rgba[i + 3] / 255;
      for (let c = 0; c < 3; c++) out[i + c] = Math.round(img.rgba[i + c] * a + bg[c] * (1 - a));
      out[i + 3] = 255;
    }
  }
  return { width, height, rgba: out };
}
