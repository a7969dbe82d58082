/**
 * A minimal PNG encoder (8-bit RGB, no dependencies): the signature, an IHDR chunk, one IDAT chunk holding the
 * zlib-deflated scanlines (each starting with its filter byte), and IEND. Each chunk ends with the CRC-32 of its
 * type and data, as the PNG specification requires. Also a reader of the header, used to check a written file.
 */
import { deflateSync } from 'node:zlib';

/** The 8 bytes every PNG file starts with. */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (the one of PNG, zlib and gzip) over several buffers in turn. */
export function crc32(...parts: Uint8Array[]): number {
  let crc = 0xffffffff;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) crc = CRC_TABLE[(crc ^ part[i]!) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(head.subarray(4), data), 0);
  return Buffer.concat([head, data, tail]);
}

/**
 * Encodes an RGB image whose scanlines are already laid out as PNG filter-type-0 rows: for each of `height`
 * rows, one 0 byte then `width * 3` bytes of red, green, blue.
 */
export function encodePng(width: number, height: number, scanlines: Uint8Array): Buffer {
  if (scanlines.length !== height * (1 + width * 3)) {
    throw new RangeError(`expected ${height * (1 + width * 3)} bytes of scanlines for ${width}x${height}, got ${scanlines.length}`);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bits per channel
  ihdr[9] = 2; // colour type 2: RGB
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(scanlines, { level: 6 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** Reads the size of a PNG from its header, checking the signature and the IHDR chunk's CRC. */
export function readPngSize(file: Uint8Array): { width: number; height: number } {
  const buffer = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (buffer.length < 33 || !buffer.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG file: bad signature');
  if (buffer.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG file: the first chunk is not IHDR');
  if (crc32(buffer.subarray(12, 29)) !== buffer.readUInt32BE(29)) throw new Error('PNG IHDR chunk: bad CRC');
  return { width: buffer.readUInt32BE(16), height: buffer.readUInt32BE(20) };
}
