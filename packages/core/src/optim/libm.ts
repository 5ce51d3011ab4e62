// Bit-exact ports of the glibc 2.36 libm functions that Python's float arithmetic reaches in
// torch.optim: `pow` (Python's `x ** y` and the bias corrections `beta ** step` in Adam) and `cos`
// (`math.cos` in the cosine schedules). V8's Math.pow/Math.cos are fdlibm ports that differ from
// glibc in the last bit for a few percent of the arguments the schedulers use, so lockstep carries
// its own copies. They follow glibc's x86-64 "FMA" variants (e_pow-fma.c, s_sin-fma.c: the same C
// compiled with -mfma -mavx2, selected by ifunc on every CPU that has AVX2, i.e. every CPU PyTorch's
// AVX2 kernels run on), including the multiply-adds that GCC contracts into fused operations.
// Source: glibc 2.36 sysdeps/ieee754/dbl-64 (e_pow.c, e_exp_data.c, e_pow_log_data.c — from Arm's
// optimized-routines — and s_sin.c, sincostab.c, usncs.h — IBM Accurate Mathematical Library);
// tables copied bit for bit as hex. Checked against Debian's libm on millions of arguments
// (tools/golden/gen_optim.py writes the libm goldens).

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const u32 = new Uint32Array(f64.buffer); // little-endian: u32[0] low word, u32[1] high word

const bitsOf = (x: number): bigint => {
  f64[0] = x;
  return u64[0] as bigint;
};
const fromBits = (b: bigint): number => {
  u64[0] = BigInt.asUintN(64, b);
  return f64[0] as number;
};
const highWord = (x: number): number => {
  f64[0] = x;
  return u32[1] as number;
};
const lowWord = (x: number): number => {
  f64[0] = x;
  return u32[0] as number;
};

function hexDoubles(h: string): Float64Array {
  const n = h.length / 16;
  const out = new Float64Array(n);
  const v = new BigUint64Array(out.buffer);
  for (let i = 0; i < n; i++) v[i] = BigInt(`0x${h.slice(16 * i, 16 * i + 16)}`);
  return out;
}
const hexDouble = (h: string): number => fromBits(BigInt(`0x${h}`));

// ---------------------------------------------------------------- exact fma for doubles

/** 2^k as a double, for k in [-1074, 1023]. */
function pow2(k: number): number {
  if (k >= -1022) return fromBits(BigInt(k + 1023) << 52n);
  return fromBits(1n << BigInt(k + 1074));
}

/** x = m * 2^e exactly (x finite). */
function decompose(x: number): [bigint, number] {
  const b = bitsOf(x);
  const neg = b >> 63n === 1n;
  const ex = Number((b >> 52n) & 0x7ffn);
  let m = b & 0xfffffffffffffn;
  let e: number;
  if (ex === 0) e = -1074;
  else {
    m |= 1n << 52n;
    e = ex - 1075;
  }
  return [neg ? -m : m, e];
}

/** m * 2^e rounded to the nearest double, ties to even (m ≠ 0). */
function roundBig(m: bigint, e: number): number {
  const neg = m < 0n;
  let a = neg ? -m : m;
  const len = a.toString(2).length;
  if (len - 1 + e > 1023) return neg ? -Infinity : Infinity;
  const shift = Math.max(len - 53, -1074 - e);
  if (shift > 0) {
    const s = BigInt(shift);
    const q = a >> s;
    const r = a - (q << s);
    const half = 1n << (s - 1n);
    a = r > half || (r === half && (q & 1n) === 1n) ? q + 1n : q;
    e += shift;
  }
  if (a === 0n) return neg ? -0 : 0;
  // a < 2^54 and a * 2^e is representable: scale in exact steps
  let v = Number(a);
  for (; e > 1000; e -= 1000) v *= pow2(1000);
  for (; e < -1000; e += 1000) v *= pow2(-1000);
  v *= pow2(e);
  return neg ? -v : v;
}

const SPLITTER = 134217729; // 2^27 + 1
const TWO500 = 2 ** 500;
const TWOM500 = 2 ** -500;

/** fma(a, b, c): a*b + c with a single rounding (IEEE 754 fusedMultiplyAdd, round to nearest even). */
export function fma64(a: number, b: number, c: number): number {
  const p = a * b;
  // c = ±0 with non-zero finite factors: the result is a*b rounded once (an underflow keeps its sign)
  if (c === 0 && a !== 0 && b !== 0 && Number.isFinite(a) && Number.isFinite(b)) return p;
  if (!Number.isFinite(p) || !Number.isFinite(c) || a === 0 || b === 0 || c === 0) {
    if (Number.isFinite(a) && Number.isFinite(b) && Number.isFinite(c) && a !== 0 && b !== 0 && c !== 0) {
      // the product overflowed as a double but the fused result may not
      const [ma, ea] = decompose(a);
      const [mb, eb] = decompose(b);
      const [mc, ec] = decompose(c);
      return exactSum(ma * mb, ea + eb, mc, ec);
    }
    // an infinite or NaN c wins over an (exact, finite) product of finite factors
    if (Number.isFinite(a) && Number.isFinite(b) && !Number.isFinite(c)) return c;
    return p + c;
  }
  const aa = Math.abs(a);
  const ab = Math.abs(b);
  const ap = Math.abs(p);
  if (aa > TWO500 || ab > TWO500 || aa < TWOM500 || ab < TWOM500 || ap < 2 ** -900 || Math.abs(c) > 2 ** 1000) {
    const [ma, ea] = decompose(a);
    const [mb, eb] = decompose(b);
    const [mc, ec] = decompose(c);
    return exactSum(ma * mb, ea + eb, mc, ec);
  }
  // Dekker: p + pl = a*b exactly
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const pl = ah * bh - p + ah * bl + al * bh + al * bl;
  // TwoSum: s + sl = c + p exactly
  const s = c + p;
  const bb = s - c;
  const sl = c - (s - bb) + (p - bb);
  // v = round-to-odd(sl + pl), then one rounding (Boldo & Melquiond 2008)
  let v = sl + pl;
  const vb = v - sl;
  const ve = sl - (v - vb) + (pl - vb);
  if (ve !== 0 && (lowWord(v) & 1) === 0) {
    const vbits = bitsOf(v);
    v = fromBits(v > 0 === ve > 0 ? vbits + 1n : vbits - 1n);
  }
  return s + v;
}

function exactSum(m1: bigint, e1: number, m2: bigint, e2: number): number {
  const e = Math.min(e1, e2);
  const m = (m1 << BigInt(e1 - e)) + (m2 << BigInt(e2 - e));
  if (m === 0n) return 0;
  return roundBig(m, e);
}
const EXP_TAB_HEX =
  "00000000000000003ff00000000000003c9b3b4f1a88bf6e3feff63da9fb3335bc7160139cd8dc5d3fefec9a3e778061bc905e7a108766d13fefe315e86e7f85" +
  "3c8cd2523567f6133fefd9b0d3158574bc8bce8023f98efa3fefd06b29ddf6de3c60f74e61e6c8613fefc74518759bc83c90a3e45b33d3993fefbe3ecac6f383" +
  "3c979aa65d837b6d3fefb5586cf9890f3c8eb51a92fdeffc3fefac922b7247f73c3ebe3d702f9cd13fefa3ec32d3d1a2bc6a033489906e0b3fef9b66affed31b" +
  "bc9556522a2fbd0e3fef9301d0125b51bc5080ef8c4eea553fef8abdc06c31ccbc91c923b9d5f4163fef829aaea92de03c80d3e3e95c55af3fef7a98c8a58e51" +
  "bc801b15eaa593483fef72b83c7d517bbc8f1ff055de323d3fef6af9388c8dea3c8b898c3f1353bf3fef635beb6fcb75bc96d99c7611eb263fef5be084045cd4" +
  "3c9aecf73e3a2f603fef54873168b9aabc8fe782cb86389d3fef4d5022fcd91d3c8a6f4144a6c38d3fef463b88628cd63c807a05b0e4047d3fef3f49917ddc96" +
  "3c968efde3a8a8943fef387a6e7562383c875e18f274487d3fef31ce4fb2a63f3c80472b981fe7f23fef2b4565e27cddbc96b87b3f71085e3fef24dfe1f56381" +
  "3c82f7e16d09ab313fef1e9df51fdee1bc3d219b1a6fbffa3fef187fd0dad9903c8b3782720c0ab43fef1285a6e4030b3c6e149289cecb8f3fef0cafa93e2f56" +
  "3c834d754db0abb63fef06fe0a31b7153c864201e2ac744c3fef0170fc4cd8313c8fdd395dd3f84a3feefc08b26416ffbc86a3803b8e5b043feef6c55f929ff1" +
  "bc924aedcc4b50683feef1a7373aa9cbbc9907f81b512d8e3feeecae6d05d866bc71d1e83e9436d23feee7db34e59ff7bc991919b3ce1b153feee32dc313a8e5" +
  "3c859f48a72a4c6d3feedea64c123422bc9312607a28698a3feeda4504ac801cbc58a78f4817895b3feed60a21f72e2abc7c2c9b67499a1b3feed1f5d950a897" +
  "3c4363ed60c2ac113feece086061892d3c9666093b0664ef3feeca41ed1d00573c6ecce1daa103793feec6a2b5c13cd03c93ff8e3f0f12303feec32af0d7d3de" +
  "3c7690cebb7aafb03feebfdad5362a273c931dbdeb54e0773feebcb299fddd0dbc8f94340071a38e3feeb9b2769d2ca7bc87deccdc93a3493feeb6daa2cf6642" +
  "bc78dec6bd0f385f3feeb42b569d4f82bc861246ec7b5cf63feeb1a4ca5d920f3c93350518fdd78e3feeaf4736b527da3c7b98b72f8a9b053feead12d497c7fd" +
  "3c9063e1e21c54093feeab07dd4854293c34c7855019c6ea3feea9268a5946b73c9432e62b64c0353feea76f15ad2148bc8ce44a6199769f3feea5e1b976dc09" +
  "bc8c33c53bef4da83feea47eb03a5585bc845378892be9ae3feea34634ccc320bc93cedd785658583feea238825522253c5710aa807e19643feea155d44ca973" +
  "bc93b3efbf5e22283feea09e667f3bcdbc6a12ad8734b9823feea012750bdabfbc6367efb86da9ee3fee9fb23c651a2fbc80dc3d54e088513fee9f7df9519484" +
  "bc781f647e5a3ecf3fee9f75e8ec5f74bc86ee4ac08b7db03fee9f9a48a58174bc8619321e55e68a3fee9feb564267c93c909ccb5e09d4d33feea0694fde5d3f" +
  "bc7b32dcb94da51d3feea11473eb01873c94ecfd5467c06b3feea1ed0130c1323c65ebe1abd66c553feea2f336cf4e62bc88a1c52fb3cf423feea427543e1a12" +
  "bc9369b6f13b37343feea589994cce13bc805e843a19ff1e3feea71a4623c7adbc94d450d872576e3feea8d99b4492ed3c90ad675b0e8a003feeaac7d98a6699" +
  "3c8db72fc1f0eab43feeace5422aa0dbbc65b6609cc5e7ff3feeaf3216b5448c3c7bf68359f35f443feeb1ae99157736bc93091fa71e3d833feeb45b0b91ffc6" +
  "bc5da9b88b6c1e293feeb737b0cdc5e5bc6c23f97c90b9593feeba44cbc8520fbc92434322f4f9aa3feebd829fde4e50bc85ca6cd7668e4b3feec0f170ca07ba" +
  "3c71affc2b91ce273feec49182a3f0903c6dd235e10a73bb3feec86319e32323bc87c504226222633feecc667b5de5653c8b1c86e3e231d53feed09bec4a2d33" +
  "bc91bbd1d3bcbb153feed503b23e255d3c90cc319cee31d23feed99e1330b3583c8469846e735ab33feede6b5579fdbfbc82dfcd978e9db43feee36bbfd3f37a" +
  "3c8c1a7792cb33873feee89f995ad3adbc907b8f4ad1d9fa3feeee07298db666bc55c3d956dcaeba3feef3a2b84f15fbbc90a40e3da6f6403feef9728de5593a" +
  "bc68d6f438ad93343feeff76f2fb5e47bc91eee26b588a353fef05b030a1064a3c74ffd70a5fddcd3fef0c1e904bc1d2bc91bdfbfa9298ac3fef12c25bd71e09" +
  "3c736eae30af0cb33fef199bdd85529c3c8ee3325c9ffd943fef20ab5fffd07a3c84e08fd10959ac3fef27f12e57d14b3c63cdaf384e1a673fef2f6d9406e7b5" +
  "3c676b2c6c9219683fef3720dcef9069bc808a1883ccb5d23fef3f0b555dc3fabc8fad5d3ffffa6f3fef472d4a07897cbc900dae3875a9493fef4f87080d89f2" +
  "3c74a385a63d07a73fef5818dcfba487bc82919e2040220f3fef60e316c983983c8e5a50d5c192ac3fef69e603db32853c843a59ac016b4b3fef7321f301b460" +
  "bc82d52107b43e1f3fef7c97337b9b5fbc892ab93b470dc93fef864614f5a1293c74b604603a88d33fef902ee78b3ff63c83c5ec519d72713fef9a51fbc74c83" +
  "bc8ff7128fd391f03fefa4afa2a490dabc8dae98e223747d3fefaf482d8e67f13c8ec3bc41aa20083fefba1bee615a273c842b94c3a9eb323fefc52b376bba97" +
  "3c8a64a931d185ee3fefd0765b6e4540bc8e37bae43be3ed3fefdbfdad9cbe143c77893b4d91cd9d3fefe7c1819e90d83c5305c14160cc893feff3c22b8f71f1";
const POW_TAB_HEX =
  "3ff6a000000000000000000000000000bfd62c82f2b9c8003cfab424283756803ff68000000000000000000000000000bfd5d1bdbf580800bd1ca508d8e0f720" +
  "3ff66000000000000000000000000000bfd5767717455800bd2362a4d5b6506d3ff64000000000000000000000000000bfd51aad872df800bce684e49eb067d5" +
  "3ff62000000000000000000000000000bfd4be5f95777800bd041b6993293ee03ff60000000000000000000000000000bfd4618bc21c60003d13d82f484c84cc" +
  "3ff5e000000000000000000000000000bfd404308686a8003cdc42f3ed820b3a3ff5c000000000000000000000000000bfd3a64c556948003d20b1c686519460" +
  "3ff5a000000000000000000000000000bfd347dd9a9880003d25594dd4c580923ff58000000000000000000000000000bfd2e8e2bae120003d267b1e99b72bd8" +
  "3ff56000000000000000000000000000bfd2895a13de88003d15ca14b6cfb03f3ff56000000000000000000000000000bfd2895a13de88003d15ca14b6cfb03f" +
  "3ff54000000000000000000000000000bfd22941fbcf7800bd165a242853da763ff52000000000000000000000000000bfd1c898c1699800bd1fafbc68e75404" +
  "3ff50000000000000000000000000000bfd1675cababa8003d1f1fc63382a8f03ff4e000000000000000000000000000bfd1058bf9ae4800bd26a8c4fd055a66" +
  "3ff4c000000000000000000000000000bfd0a324e2739000bd0c6bee7ef4030e3ff4a000000000000000000000000000bfd0402594b4d000bcf036b89ef42d7f" +
  "3ff4a000000000000000000000000000bfd0402594b4d000bcf036b89ef42d7f3ff48000000000000000000000000000bfcfb9186d5e40003d0d572aab993c87" +
  "3ff46000000000000000000000000000bfcef0adcbdc60003d2b26b79c86af243ff44000000000000000000000000000bfce27076e2af000bd172f4f543fff10" +
  "3ff42000000000000000000000000000bfcd5c216b4fc0003d21ba91bbca681b3ff40000000000000000000000000000bfcc8ff7c79aa0003d27794f689f8434" +
  "3ff40000000000000000000000000000bfcc8ff7c79aa0003d27794f689f84343ff3e000000000000000000000000000bfcbc286742d90003d194eb0318bb78f" +
  "3ff3c000000000000000000000000000bfcaf3c94e80c0003cba4e633fcd90663ff3a000000000000000000000000000bfca23bc1fe2b000bd258c64dc46c1ea" +
  "3ff3a000000000000000000000000000bfca23bc1fe2b000bd258c64dc46c1ea3ff38000000000000000000000000000bfc9525a9cf45000bd2ad1d904c1d4e3" +
  "3ff36000000000000000000000000000bfc87fa06520d0003d2bbdbf7fdbfa093ff34000000000000000000000000000bfc7ab890210e0003d2bdb9072534a58" +
  "3ff34000000000000000000000000000bfc7ab890210e0003d2bdb9072534a583ff32000000000000000000000000000bfc6d60fe719d000bd10e46aa3b2e266" +
  "3ff30000000000000000000000000000bfc5ff3070a79000bd1e9e439f1050393ff30000000000000000000000000000bfc5ff3070a79000bd1e9e439f105039" +
  "3ff2e000000000000000000000000000bfc526e5e3a1b000bd20de8b90075b8f3ff2c000000000000000000000000000bfc44d2b6ccb80003d170cc16135783c" +
  "3ff2c000000000000000000000000000bfc44d2b6ccb80003d170cc16135783c3ff2a000000000000000000000000000bfc371fc201e90003cf178864d27543a" +
  "3ff28000000000000000000000000000bfc29552f81ff000bd248d301771c4083ff26000000000000000000000000000bfc1b72ad52f6000bd2e80a41811a396" +
  "3ff26000000000000000000000000000bfc1b72ad52f6000bd2e80a41811a3963ff24000000000000000000000000000bfc0d77e7cd090003d0a699688e85bf4" +
  "3ff24000000000000000000000000000bfc0d77e7cd090003d0a699688e85bf43ff22000000000000000000000000000bfbfec9131dbe000bd2575545ca333f2" +
  "3ff20000000000000000000000000000bfbe27076e2b00003d2a342c2af0003c3ff20000000000000000000000000000bfbe27076e2b00003d2a342c2af0003c" +
  "3ff1e000000000000000000000000000bfbc5e548f5bc000bd1d0c57585fbe063ff1c000000000000000000000000000bfba926d3a4ae0003d253935e85baac8" +
  "3ff1c000000000000000000000000000bfba926d3a4ae0003d253935e85baac83ff1a000000000000000000000000000bfb8c345d631a0003d137c294d2f5668" +
  "3ff1a000000000000000000000000000bfb8c345d631a0003d137c294d2f56683ff18000000000000000000000000000bfb6f0d28ae56000bd269737c93373da" +
  "3ff16000000000000000000000000000bfb51b073f0620003d1f025b61c65e573ff16000000000000000000000000000bfb51b073f0620003d1f025b61c65e57" +
  "3ff14000000000000000000000000000bfb341d7961be0003d2c5edaccf913df3ff14000000000000000000000000000bfb341d7961be0003d2c5edaccf913df" +
  "3ff12000000000000000000000000000bfb16536eea380003d147c5e768fa3093ff10000000000000000000000000000bfaf0a30c01180003d2d599e83368e91" +
  "3ff10000000000000000000000000000bfaf0a30c01180003d2d599e83368e913ff0e000000000000000000000000000bfab42dd711980003d1c827ae5d6704c" +
  "3ff0e000000000000000000000000000bfab42dd711980003d1c827ae5d6704c3ff0c000000000000000000000000000bfa77458f632c000bd2cfc4634f2a1ee" +
  "3ff0c000000000000000000000000000bfa77458f632c000bd2cfc4634f2a1ee3ff0a000000000000000000000000000bfa39e87b9fec0003cf502b7f526feaa" +
  "3ff0a000000000000000000000000000bfa39e87b9fec0003cf502b7f526feaa3ff08000000000000000000000000000bf9f829b0e780000bd2980267c7e09e4" +
  "3ff08000000000000000000000000000bf9f829b0e780000bd2980267c7e09e43ff06000000000000000000000000000bf97b91b07d58000bd288d5493faa639" +
  "3ff04000000000000000000000000000bf8fc0a8b0fc0000bcdf1e7cf6d3a69c3ff04000000000000000000000000000bf8fc0a8b0fc0000bcdf1e7cf6d3a69c" +
  "3ff02000000000000000000000000000bf7fe02a6b100000bd19e23f0dda40e43ff02000000000000000000000000000bf7fe02a6b100000bd19e23f0dda40e4" +
  "3ff00000000000000000000000000000000000000000000000000000000000003ff0000000000000000000000000000000000000000000000000000000000000" +
  "3fefc0000000000000000000000000003f80101575890000bd10c76b999d2be83fef80000000000000000000000000003f90205658938000bd23dc5b06e2f7d2" +
  "3fef40000000000000000000000000003f98492528c90000bd2aa0ba325a0c343fef00000000000000000000000000003fa0415d89e740003d0111c05cf1d753" +
  "3feec0000000000000000000000000003fa466aed42e0000bd2c167375bdfd283fee80000000000000000000000000003fa894aa149fc000bd197995d05a267d" +
  "3fee40000000000000000000000000003faccb73cdddc000bd1a68f247d828073fee20000000000000000000000000003faeea31c006c000bd0e113e4fc93b7b" +
  "3fede0000000000000000000000000003fb1973bd1466000bd25325d560d9e9b3feda0000000000000000000000000003fb3bdf5a7d1e0003d2cc85ea5db4ed7" +
  "3fed60000000000000000000000000003fb5e95a4d97a000bd2c69063c5d1d1e3fed40000000000000000000000000003fb700d30aeac0003cec1e8da99ded32" +
  "3fed00000000000000000000000000003fb9335e5d5940003d23115c3abd47da3fecc0000000000000000000000000003fbb6ac88dad6000bd1390802bf768e5" +
  "3feca0000000000000000000000000003fbc885801bc40003d2646d1c65aacd33fec60000000000000000000000000003fbec739830a2000bd2dc068afe645e0" +
  "3fec40000000000000000000000000003fbfe89139dbe000bd2534d64fa10afd3fec00000000000000000000000000003fc1178e8227e0003d21ef78ce2d07f2" +
  "3febe0000000000000000000000000003fc1aa2b7e23f0003d2ca78e443899343feba0000000000000000000000000003fc2d1610c8680003d039d6ccb81b4a1" +
  "3feb80000000000000000000000000003fc365fcb01590003cc62fa8234b72893feb40000000000000000000000000003fc4913d8333b0003d25837954fdb678" +
  "3feb20000000000000000000000000003fc527e5e4a1b0003d2633e8e5697dc73feae0000000000000000000000000003fc6574ebe8c10003d19cf8b2c3c2e78" +
  "3feac0000000000000000000000000003fc6f0128b757000bd25118de59c21e13feaa0000000000000000000000000003fc7898d85445000bd1c661070914305" +
  "3fea60000000000000000000000000003fc8beafeb390000bd073d54aae92cd13fea40000000000000000000000000003fc95a5adcf700003d07f22858a0ff6f" +
  "3fea00000000000000000000000000003fca93ed3c8ae000bd287243505621693fe9e0000000000000000000000000003fcb31d8575bd000bd0c358d4eace1aa" +
  "3fe9c0000000000000000000000000003fcbd087383be000bd2d4bc4595412b63fe9a0000000000000000000000000003fcc6ffbc6f01000bcf1ec72c5962bd2" +
  "3fe960000000000000000000000000003fcdb13db0d49000bd2aff2af715b0353fe940000000000000000000000000003fce530effe710003cc212276041f430" +
  "3fe920000000000000000000000000003fcef5ade4dd0000bcca211565bb8e113fe900000000000000000000000000003fcf991c6cb3b0003d1bcbecca0cdf30" +
  "3fe8c0000000000000000000000000003fd07138604d58003cf89cdb16ed4e913fe8a0000000000000000000000000003fd0c42d676160003d27188b163ceae9" +
  "3fe880000000000000000000000000003fd1178e8227e800bd2c210e63a5f01c3fe860000000000000000000000000003fd16b5ccbacf8003d2b9acdf7a51681" +
  "3fe840000000000000000000000000003fd1bf99635a68003d2ca6ed5147bdb73fe820000000000000000000000000003fd214456d0eb8003d0a87deba46baea" +
  "3fe7e0000000000000000000000000003fd2bef07cdc90003d2a9cfa4a5004f43fe7c0000000000000000000000000003fd314f1e1d36000bd28e27ad3213cb8" +
  "3fe7a0000000000000000000000000003fd36b6776be10003d116ecdb0f177c83fe780000000000000000000000000003fd3c252773330003d183b54b606bd5c" +
  "3fe760000000000000000000000000003fd419b423d5e8003d08e436ec90e09d3fe740000000000000000000000000003fd4718dc271c800bd2f27ce0967d675" +
  "3fe720000000000000000000000000003fd4c9e09e173000bd2e20891b0ad8a43fe700000000000000000000000000003fd522ae0738a0003d2ebe708164c759" +
  "3fe6e0000000000000000000000000003fd57bf753c8d0003d1fadedee5d40ef3fe6c0000000000000000000000000003fd5d5bddf596000bd0a0b2a08a465dc";

// ---------------------------------------------------------------- pow (e_pow.c, FMA variant)

const EXP_TAB = hexDoubles(EXP_TAB_HEX);
const EXP_TAB_BITS = new BigUint64Array(EXP_TAB.buffer);
const POW_TAB = hexDoubles(POW_TAB_HEX); // {invc, pad, logc, logctail} x 128

const INV_LN2_N = hexDouble("40671547652b82fe");
const NEG_LN2_HI_N = hexDouble("bf762e42fefa0000");
const NEG_LN2_LO_N = hexDouble("bd0cf79abc9e3b3a");
const C2 = hexDouble("3fdffffffffffdbd");
const C3 = hexDouble("3fc555555555543c");
const C4 = hexDouble("3fa55555cf172b91");
const C5 = hexDouble("3f81111167a4d017");
const SHIFT = hexDouble("4338000000000000");
const LN2_HI = hexDouble("3fe62e42fefa3800");
const LN2_LO = hexDouble("3d2ef35793c76730");
const A = hexDoubles(
  "bfe0000000000000bfe55555555555603fe00000000000063fe999999959554ebfe555555529a47abff2495b9b4845e93ff0002b8b263fc3",
);
const A0 = A[0] as number;
const A1 = A[1] as number;
const A2 = A[2] as number;
const A3 = A[3] as number;
const A4 = A[4] as number;
const A5 = A[5] as number;
const A6 = A[6] as number;
const OFF = 0x3fe6955500000000n;
const SIGN_BIAS = 0x800 << 7;
const INF_BITS = 0x7ff0000000000000n;
const ONE_BITS = 0x3ff0000000000000n;

const top12 = (x: number): number => highWord(x) >>> 20;
const oflow = (sign: number): number => (sign ? -Infinity : Infinity);
const uflow = (sign: number): number => (sign ? -0 : 0);

/** log(x) as hi + lo for the bit pattern ix (subnormals already normalised). */
function logInline(ix: bigint): [number, number] {
  const tmp = BigInt.asUintN(64, ix - OFF);
  const i = Number((tmp >> 45n) & 127n);
  const k = Number(BigInt.asIntN(64, tmp) >> 52n);
  const iz = BigInt.asUintN(64, ix - (tmp & (0xfffn << 52n)));
  const z = fromBits(iz);
  const kd = k;
  const invc = POW_TAB[4 * i] as number;
  const logc = POW_TAB[4 * i + 2] as number;
  const logctail = POW_TAB[4 * i + 3] as number;
  const r = fma64(z, invc, -1.0);
  const t1 = fma64(kd, LN2_HI, logc);
  const t2 = t1 + r;
  const lo1 = fma64(kd, LN2_LO, logctail);
  const lo2 = t1 - t2 + r;
  const ar = A0 * r;
  const ar2 = r * ar;
  const ar3 = r * ar2;
  const hi = t2 + ar2;
  const lo3 = fma64(ar, r, -ar2);
  const lo4 = t2 - hi + ar2;
  const q = fma64(ar2, fma64(ar2, fma64(r, A6, A5), fma64(r, A4, A3)), fma64(r, A2, A1));
  const lo = fma64(ar3, q, lo1 + lo2 + lo3 + lo4);
  const y = hi + lo;
  return [y, hi - y + lo];
}

function specialCase(tmp: number, sbits: bigint, ki: bigint): number {
  if ((ki & 0x80000000n) === 0n) {
    const scale = fromBits(sbits - (1009n << 52n));
    return 2 ** 1009 * fma64(scale, tmp, scale);
  }
  const sb = BigInt.asUintN(64, sbits + (1022n << 52n));
  const scale = fromBits(sb);
  // scale * tmp has a second use in another basic block, so GCC does not contract it here.
  const st = scale * tmp;
  let y = scale + st;
  if (Math.abs(y) < 1.0) {
    const one = y < 0.0 ? -1.0 : 1.0;
    let lo = scale - y + st;
    const hi = one + y;
    lo = one - hi + y + lo;
    y = hi + lo - one;
    if (y === 0) y = fromBits(sb & 0x8000000000000000n);
  }
  return 2 ** -1022 * y;
}

/** sign * exp(x + xtail). */
function expInline(x: number, xtail: number, signBias: number): number {
  let abstop = top12(x) & 0x7ff;
  if ((abstop - 0x3c9) >>> 0 >= 0x408 - 0x3c9) {
    if ((abstop - 0x3c9) >>> 0 >= 0x80000000) {
      const one = 1.0 + x;
      return signBias ? -one : one;
    }
    if (abstop >= 0x409) return highWord(x) >>> 31 ? uflow(signBias) : oflow(signBias);
    abstop = 0;
  }
  // z = InvLn2N * x; kd = z + Shift (contracted)
  let kd = fma64(INV_LN2_N, x, SHIFT);
  const ki = bitsOf(kd);
  kd -= SHIFT;
  let r = fma64(kd, NEG_LN2_LO_N, fma64(kd, NEG_LN2_HI_N, x));
  r += xtail;
  const idx = 2 * Number(ki & 127n);
  const top = BigInt.asUintN(64, (ki + BigInt(signBias)) << 45n);
  const tail = EXP_TAB[idx] as number;
  const sbits = BigInt.asUintN(64, (EXP_TAB_BITS[idx + 1] as bigint) + top);
  const r2 = r * r;
  const tmp = fma64(r2 * r2, fma64(r, C5, C4), fma64(r2, fma64(r, C3, C2), tail + r));
  if (abstop === 0) return specialCase(tmp, sbits, ki);
  const scale = fromBits(sbits);
  return fma64(scale, tmp, scale);
}

/** 0: not an integer, 1: odd integer, 2: even integer (iy: bits of a non-zero finite double). */
function checkint(iy: bigint): number {
  const e = Number((iy >> 52n) & 0x7ffn);
  if (e < 0x3ff) return 0;
  if (e > 0x3ff + 52) return 2;
  const s = BigInt(0x3ff + 52 - e);
  if (iy & ((1n << s) - 1n)) return 0;
  if (iy & (1n << s)) return 1;
  return 2;
}
const zeroinfnan = (i: bigint): boolean => BigInt.asUintN(64, 2n * i - 1n) >= 2n * INF_BITS - 1n;

/** glibc's pow(x, y), bit for bit (what Python's `x ** y` computes for floats). */
export function pow(x: number, y: number): number {
  let signBias = 0;
  let ix = bitsOf(x);
  const iy = bitsOf(y);
  let topx = Number(ix >> 52n);
  const topy = Number(iy >> 52n);
  if ((topx - 0x001) >>> 0 >= 0x7ff - 0x001 || ((topy & 0x7ff) - 0x3be) >>> 0 >= 0x43e - 0x3be) {
    if (zeroinfnan(iy)) {
      if (BigInt.asUintN(64, 2n * iy) === 0n) return 1.0;
      if (ix === ONE_BITS) return 1.0;
      if (BigInt.asUintN(64, 2n * ix) > 2n * INF_BITS || BigInt.asUintN(64, 2n * iy) > 2n * INF_BITS) return x + y;
      if (BigInt.asUintN(64, 2n * ix) === 2n * ONE_BITS) return 1.0;
      if (BigInt.asUintN(64, 2n * ix) < 2n * ONE_BITS === !(iy >> 63n)) return 0.0;
      return y * y;
    }
    if (zeroinfnan(ix)) {
      let x2 = x * x;
      if (ix >> 63n && checkint(iy) === 1) {
        x2 = -x2;
        signBias = 1;
      }
      if (BigInt.asUintN(64, 2n * ix) === 0n && iy >> 63n) return signBias ? -Infinity : Infinity;
      return iy >> 63n ? 1 / x2 : x2;
    }
    if (ix >> 63n) {
      const yint = checkint(iy);
      if (yint === 0) return Number.NaN;
      if (yint === 1) signBias = SIGN_BIAS;
      ix &= 0x7fffffffffffffffn;
      topx &= 0x7ff;
    }
    if (((topy & 0x7ff) - 0x3be) >>> 0 >= 0x43e - 0x3be) {
      if (ix === ONE_BITS) return 1.0;
      if ((topy & 0x7ff) < 0x3be) return ix > ONE_BITS ? 1.0 + y : 1.0 - y;
      return ix > ONE_BITS === topy < 0x800 ? oflow(0) : uflow(0);
    }
    if (topx === 0) {
      ix = bitsOf(x * 2 ** 52) & 0x7fffffffffffffffn;
      ix -= 52n << 52n;
    }
  }
  const [hi, lo] = logInline(ix);
  const ehi = y * hi;
  const elo = fma64(y, lo, fma64(y, hi, -ehi));
  return expInline(ehi, elo, signBias);
}

// ---------------------------------------------------------------- cos and log
// glibc's cos and log are shared with the random module (float64 draws need them too).
export { cos, log } from "../random/glibc_math.js";

import { log } from "../random/glibc_math.js";

// ---------------------------------------------------------------- Python float semantics on top

/** Python's `x ** y` for floats (float_pow): its special cases, then glibc's pow. */
export function pyPow(x: number, y: number): number {
  if (y === 0) return 1.0;
  if (Number.isNaN(x)) return x;
  if (Number.isNaN(y)) return x === 1.0 ? 1.0 : y;
  if (!Number.isFinite(y)) {
    const ax = Math.abs(x);
    if (ax === 1.0) return 1.0;
    return y > 0.0 === ax > 1.0 ? Math.abs(y) : 0.0;
  }
  if (x === 0.0) {
    if (y < 0.0) throw new RangeError("ZeroDivisionError: 0.0 cannot be raised to a negative power");
    return Number.isInteger(y) && Math.abs(y % 2) === 1 ? x : 0.0;
  }
  let negate = false;
  if (x < 0.0) {
    if (!Number.isInteger(y)) throw new RangeError("a negative number raised to a fractional power is complex");
    x = -x;
    negate = Math.abs(y % 2) === 1;
  }
  if (x === 1.0) return negate ? -1.0 : 1.0;
  const r = pow(x, y);
  if (!Number.isFinite(r) && Number.isFinite(x)) throw new RangeError("OverflowError: (34, 'Numerical result out of range')");
  return negate ? -r : r;
}

/** Python's `math.log(x)` / `math.log(x, base)`. */
export function pyLog(x: number, base?: number): number {
  const lg = (v: number): number => {
    if (Number.isNaN(v) || v === Infinity) return v;
    if (!(v > 0)) throw new RangeError("ValueError: math domain error");
    return log(v);
  };
  const num = lg(x);
  if (base === undefined) return num;
  const den = lg(base);
  if (den === 0) throw new RangeError("ZeroDivisionError: float division by zero");
  return num / den;
}
