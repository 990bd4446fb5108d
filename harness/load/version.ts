/**
 * A resource's `meta.versionId` as the number the request records keep (`ackVersion`, a uint32):
 * the number itself when it is one (the mock estate's 1, 2, 3 ...), else a 32-bit FNV-1a hash of
 * the string (a vendor's opaque id, e.g. a UUID), never 0 (0 means "none reported"). Two versions
 * are compared as these numbers, so distinct opaque versions collide with probability 2^-32.
 */
export function versionNumber(versionId: string | number | undefined | null): number {
  if (versionId === undefined || versionId === null || versionId === '') return 0;
  const s = String(versionId);
  if (/^\d{1,9}$/.test(s)) return Number(s);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h === 0 ? 1 : h;
}
