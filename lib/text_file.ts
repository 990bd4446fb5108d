import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Reading a configuration file a person wrote (a drill, an estate file) without trusting it: at
 * most `maxBytes` are ever read (a 10 MB file, or /dev/zero, is refused before it is parsed), and
 * text that is not UTF-8 is refused with where and why (UTF-16, Latin-1, binary), instead of
 * reaching the YAML parser as replacement characters and surfacing as a baffling schema error.
 */

/** The largest configuration file read: the shipped drills are 1-5 KiB. */
export const MAX_TEXT_FILE_BYTES = 1 << 20;

/** A file that cannot be read as text; `line` and `column` (1-based) where a position helps. */
export class TextFileError extends Error {
  constructor(
    message: string,
    readonly line = 0,
    readonly column = 0,
  ) {
    super(message);
  }
}

const size = (bytes: number) => (bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);

/** The file's text (a UTF-8 byte order mark dropped); throws TextFileError with the reason. */
export function readTextFile(file: string, maxBytes = MAX_TEXT_FILE_BYTES): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new TextFileError((e as Error).message);
  }
  let data: Buffer;
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new TextFileError('a directory, not a file');
    if (stat.isFile() && stat.size > maxBytes) throw new TextFileError(`the file is ${size(stat.size)}: at most ${size(maxBytes)} is read`);
    // Read to one byte past the limit: a device or pipe has no size to check first.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) throw new TextFileError(`more than ${size(maxBytes)}: at most ${size(maxBytes)} is read`);
    }
    data = buffer.subarray(0, length);
  } catch (e) {
    if (e instanceof TextFileError) throw e;
    throw new TextFileError((e as Error).message);
  } finally {
    closeSync(fd);
  }
  return decodeText(data);
}

/** UTF-8 text from bytes, or TextFileError naming the encoding found or the first bad byte. */
export function decodeText(data: Buffer): string {
  if (data[0] === 0xff && data[1] === 0xfe) throw new TextFileError('UTF-16 (little-endian) text: save the file as UTF-8', 1, 1);
  if (data[0] === 0xfe && data[1] === 0xff) throw new TextFileError('UTF-16 (big-endian) text: save the file as UTF-8', 1, 1);
  const nul = data.indexOf(0);
  const bad = firstInvalidUtf8(data);
  if (nul >= 0 && (bad < 0 || nul <= bad)) {
    const { line, column } = positionOf(data, nul);
    throw new TextFileError(`binary data, not text (a NUL byte at line ${line}, column ${column})${looksLikeUtf16(data) ? ': UTF-16 without a byte order mark? save the file as UTF-8' : ''}`, line, column);
  }
  if (bad >= 0) {
    const { line, column } = positionOf(data, bad);
    throw new TextFileError(`not UTF-8: byte 0x${data[bad].toString(16).padStart(2, '0')} at line ${line}, column ${column} (Latin-1 or another encoding?): save the file as UTF-8`, line, column);
  }
  const start = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? 3 : 0;
  return data.toString('utf8', start);
}

/** Every other byte zero, in the first few hundred: UTF-16 text without its byte order mark. */
function looksLikeUtf16(data: Buffer): boolean {
  const n = Math.min(data.length, 256) & ~1;
  if (n < 4) return false;
  let zeros = 0;
  for (let i = 0; i < n; i += 2) if (data[i] === 0 || data[i + 1] === 0) zeros++;
  return zeros >= (n / 2) * 0.9;
}

/** Line and column (1-based, in bytes) of a byte offset. */
function positionOf(data: Buffer, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = data.indexOf(0x0a); i >= 0 && i < offset; i = data.indexOf(0x0a, i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629), or -1. */
export function firstInvalidUtf8(data: Buffer): number {
  let i = 0;
  while (i < data.length) {
    const b = data[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [n, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [n, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [n, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const c = data[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += n + 1;
  }
  return -1;
}
