/*
 * SHA-256 (FIPS 180-4, section 6.2) in plain TypeScript.
 *
 * Why this exists: src/core is pure and may not import `node:crypto` (or any I/O library), and WebCrypto's
 * `crypto.subtle.digest` is asynchronous, which would make every snapshot function async. Snapshots are
 * small (a policy, a run input), so a short, synchronous, dependency-free implementation is the better fit.
 * It is tested against the NIST vectors and against `node:crypto` on random text.
 */

/** Round constants: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
// biome-ignore format: eight words a row, as FIPS 180-4 prints them
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** Initial hash value: the first 32 bits of the fractional parts of the square roots of the first 8 primes. */
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const encoder = new TextEncoder();

/**
 * The SHA-256 digest of the UTF-8 bytes of `text`, as 64 lowercase hex digits.
 *
 * Text is encoded as `TextEncoder` (WHATWG UTF-8) does, so a lone surrogate hashes as U+FFFD, exactly as
 * `node:crypto`'s `hash.update(text)` treats it: `sha256Hex("\uD800") === sha256Hex("\uFFFD")`. Canonical
 * JSON never hands it a lone surrogate (JSON.stringify escapes them), so snapshot hashes still tell them
 * apart. Never fails.
 */
export function sha256Hex(text: string): string {
  return toHex(digest(encoder.encode(text)));
}

function digest(message: Uint8Array): Uint32Array {
  const blocks = pad(message);
  const view = new DataView(blocks.buffer);
  const hash = Uint32Array.from(H0);
  const w = new Uint32Array(64);
  for (let offset = 0; offset < blocks.length; offset += 64) {
    for (let t = 0; t < 16; t += 1) w[t] = view.getUint32(offset + t * 4);
    for (let t = 16; t < 64; t += 1) {
      w[t] = (sigma1(at(w, t - 2)) + at(w, t - 7) + sigma0(at(w, t - 15)) + at(w, t - 16)) >>> 0;
    }
    compress(hash, w);
  }
  return hash;
}

/** Appends the 1 bit, zeros, and the 64-bit big-endian bit length, to a multiple of 64 bytes. */
function pad(message: Uint8Array): Uint8Array {
  const length = message.length;
  const padded = new Uint8Array(Math.ceil((length + 9) / 64) * 64);
  padded.set(message);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  // The bit length is length * 8, split into two 32-bit words without overflowing 2^53.
  view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));
  view.setUint32(padded.length - 4, (length << 3) >>> 0);
  return padded;
}

/** One application of the compression function to the 64-word schedule `w`, updating `hash` in place. */
function compress(hash: Uint32Array, w: Uint32Array): void {
  let a = at(hash, 0);
  let b = at(hash, 1);
  let c = at(hash, 2);
  let d = at(hash, 3);
  let e = at(hash, 4);
  let f = at(hash, 5);
  let g = at(hash, 6);
  let h = at(hash, 7);
  for (let t = 0; t < 64; t += 1) {
    const t1 = (h + bigSigma1(e) + ch(e, f, g) + at(K, t) + at(w, t)) >>> 0;
    const t2 = (bigSigma0(a) + maj(a, b, c)) >>> 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) >>> 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) >>> 0;
  }
  // Uint32Array stores modulo 2^32, which is the addition FIPS 180-4 asks for.
  [a, b, c, d, e, f, g, h].forEach((word, i) => {
    hash[i] = at(hash, i) + word;
  });
}

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));
const ch = (x: number, y: number, z: number): number => (x & y) ^ (~x & z);
const maj = (x: number, y: number, z: number): number => (x & y) ^ (x & z) ^ (y & z);
const bigSigma0 = (x: number): number => rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22);
const bigSigma1 = (x: number): number => rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25);
const sigma0 = (x: number): number => rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
const sigma1 = (x: number): number => rotr(x, 17) ^ rotr(x, 19) ^ (x >>> 10);

/** Indexed read for arrays whose bounds the loops guarantee (`noUncheckedIndexedAccess` can't see that). */
function at(words: ArrayLike<number>, index: number): number {
  return words[index] ?? 0;
}

function toHex(words: Uint32Array): string {
  let hex = "";
  for (const word of words) hex += word.toString(16).padStart(8, "0");
  return hex;
}
