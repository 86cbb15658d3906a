/**
 * GF(32) arithmetic and the Reed–Solomon check code of recovery keys. Not cryptography:
 * the code only catches typing mistakes (docs/PROTOCOL.md "Recovery key v1").
 *
 * GF(2^5) = GF(2)[x] / (x^5 + x^2 + 1); α = x is primitive (order 31).
 * The code is RS(28, 26) with generator g(x) = (x − α)(x − α²): n − k + 1 = 3 is its
 * minimum distance (RS codes are MDS), so every 1- or 2-symbol change of a codeword —
 * in particular every substitution and every adjacent transposition — is detected.
 * n = 28 ≤ 31 = q − 1, as RS requires.
 */
const EXP = new Uint8Array(62);
const LOG = new Uint8Array(32);
{
  let v = 1;
  for (let i = 0; i < 31; i++) {
    EXP[i] = v;
    EXP[i + 31] = v;
    LOG[v] = i;
    v <<= 1;
    if (v & 32) v ^= 0b100101;
  }
}

export function gfMul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!;
}

/** α^i. */
export function gfPow(i: number): number {
  return EXP[i % 31]!;
}

/** Evaluates the polynomial with coefficients `c` (highest degree first) at `x` (Horner). */
export function polyEval(c: ArrayLike<number>, x: number): number {
  let acc = 0;
  for (let i = 0; i < c.length; i++) acc = gfMul(acc, x) ^ c[i]!;
  return acc;
}

const G1 = gfPow(1) ^ gfPow(2); // g(x) = x² + (α + α²)x + α³
const G0 = gfPow(3);

/** The 2 check symbols for `data`: the remainder of data(x)·x² mod g(x). */
export function rsCheckSymbols(data: ArrayLike<number>): [number, number] {
  let r1 = 0;
  let r0 = 0;
  for (let i = 0; i < data.length; i++) {
    const f = data[i]! ^ r1; // LFSR division by the monic g
    r1 = r0 ^ gfMul(f, G1);
    r0 = gfMul(f, G0);
  }
  return [r1, r0];
}

/** True when `codeword` (data ‖ checks) has both syndromes zero: c(α) = c(α²) = 0. */
export function rsIsCodeword(codeword: ArrayLike<number>): boolean {
  return polyEval(codeword, gfPow(1)) === 0 && polyEval(codeword, gfPow(2)) === 0;
}
