// Bit-exact ports of the glibc 2.36 (x86-64) double-precision functions that PyTorch 1.13's CPU
// random kernels call: log, sin/cos/sincos, exp. PyTorch's float64 draws (randn/normal_, exponential_,
// log_normal_, geometric_) go through these, and V8's Math.* differs from glibc in the last bit for a
// few percent of inputs, so bitwise float64 reproduction needs the same algorithms.
//
// On an x86-64 CPU with FMA (every machine the goldens were produced on, and every AVX2 machine),
// glibc's libm selects its `*_fma` variants through ifuncs: the same C sources compiled with
// -mfma -mavx2, where GCC contracts `a*b + c` into a fused multiply-add wherever the product has no
// other use. Each function below performs exactly the operations of that compiled code (read from
// the disassembly of Debian's libm.so.6 2.36-9 and checked against it on millions of inputs, see
// test/random-glibc.test.ts): `fma(a, b, c)` marks a contracted (single-rounding) multiply-add,
// everything else is one IEEE double operation.
//
// Algorithms and tables: glibc sysdeps/ieee754/dbl-64 — e_log.c/e_log_data.c and e_exp.c/
// e_exp_data.c (Szabolcs Nagy, ARM, from ARM's optimized-routines), s_sin.c/s_sincos.c/sincostab.c
// (IBM Accurate Mathematical Library). glibc is LGPL-2.1-or-later; optimized-routines (log, exp) is
// also available under MIT/Apache-2.0. Tables were extracted from the sources and verified byte for
// byte against the tables in libm.so.6.
//
// Not ported (documented fallbacks): sin/cos for |x| >= 105414350 (glibc's __branred), which no
// random kernel reaches; those fall back to Math.sin/Math.cos.

// ---------------------------------------------------------------------------------------------
// exact fused multiply-add for doubles

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer); // little-endian: u32[0] low word, u32[1] high word

/** High 32 bits of a double's bit pattern. */
export function hiWord(x: number): number {
  f64[0] = x;
  return u32[1] as number;
}
/** Low 32 bits of a double's bit pattern. */
export function loWord(x: number): number {
  f64[0] = x;
  return u32[0] as number;
}
/** The double with the given high and low 32-bit words. */
export function fromWords(hi: number, lo: number): number {
  u32[1] = hi >>> 0;
  u32[0] = lo >>> 0;
  return f64[0] as number;
}

const SPLIT = 134217729; // 2^27 + 1

// Operand ranges in which Dekker's product, the two-sums and the round-to-odd sum are exact.
const FMA_HI = 1e290;
const FMA_LO = 1e-270;

/** fma(a, b, c) = a*b + c rounded once (IEEE 754 fusedMultiplyAdd), for all doubles. */
export function fma(a: number, b: number, c: number): number {
  const p = a * b;
  const ap = p < 0 ? -p : p;
  const ac = c < 0 ? -c : c;
  const aa = a < 0 ? -a : a;
  const ab = b < 0 ? -b : b;
  // NaN fails every comparison and takes the slow path too
  if (!(ap <= FMA_HI && ap >= FMA_LO && aa <= FMA_HI && ab <= FMA_HI && ac <= FMA_HI && (ac >= FMA_LO || c === 0)))
    return fmaSlow(a, b, c, p);
  // (p, pl) = a*b exactly (Veltkamp split, Dekker product)
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const pl = ah * bh - p + ah * bl + al * bh + al * bl;
  // (sh, sl) = p + c exactly (two-sum)
  const sh = p + c;
  let bb = sh - p;
  const sl = p - (sh - bb) + (c - bb);
  // v = sl + pl rounded to odd, then one rounding of sh + v (Boldo & Melquiond, "Emulation of FMA
  // and correctly rounded sums: proved algorithms using rounding to odd", 2008)
  const v = sl + pl;
  bb = v - sl;
  const e = sl - (v - bb) + (pl - bb);
  if (e === 0 || v === 0) return v === 0 ? sh + e : sh + v;
  f64[0] = v;
  let lo = u32[0] as number;
  if ((lo & 1) === 1) return sh + v; // already odd
  let hi = u32[1] as number;
  if (e > 0 === v > 0) {
    lo = (lo + 1) >>> 0; // one ulp up in magnitude
    if (lo === 0) hi = (hi + 1) >>> 0;
  } else {
    if (lo === 0) hi = (hi - 1) >>> 0; // one ulp down in magnitude
    lo = (lo - 1) >>> 0;
  }
  u32[0] = lo;
  u32[1] = hi;
  return sh + (f64[0] as number);
}

function fmaSlow(a: number, b: number, c: number, p: number): number {
  if (Number.isNaN(a) || Number.isNaN(b) || Number.isNaN(c)) return Number.NaN;
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c)) return p + c; // IEEE inf rules
  if (a === 0 || b === 0) return p + c; // exact zero product: signed-zero rules of a*b + c
  return fmaExact(a, b, c);
}

/** Decompose a finite double into an integer significand and exponent: x = m * 2^e. */
function decompose(x: number): [bigint, number] {
  f64[0] = x;
  const hi = u32[1] as number;
  const lo = u32[0] as number;
  const exp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (exp === 0) e = -1074;
  else {
    m |= 1n << 52n;
    e = exp - 1075;
  }
  return [hi >>> 31 ? -m : m, e];
}

/** Exact fma through BigInt arithmetic (slow path for huge/tiny operands). */
function fmaExact(a: number, b: number, c: number): number {
  const [ma, ea] = decompose(a);
  const [mb, eb] = decompose(b);
  const [mc, ec] = decompose(c);
  const mp = ma * mb;
  const ep = ea + eb;
  const e = Math.min(ep, ec);
  const sum = (mp << BigInt(ep - e)) + (mc << BigInt(ec - e));
  if (sum === 0n) return a * b + c; // IEEE signed-zero rules for an exact zero
  return roundBig(sum, e);
}

/** Round m * 2^e (m a nonzero BigInt) to the nearest double, ties to even, with subnormals and overflow. */
function roundBig(m: bigint, e: number): number {
  const neg = m < 0n;
  let a = neg ? -m : m;
  const len = a.toString(2).length;
  // target: 53 significant bits, but not below exponent -1074
  let shift = len - 53;
  if (e + shift < -1074) shift = -1074 - e;
  if (shift > 0) {
    const sh = BigInt(shift);
    const rem = a & ((1n << sh) - 1n);
    const half = 1n << (sh - 1n);
    a >>= sh;
    if (rem > half || (rem === half && (a & 1n) === 1n)) a += 1n;
    e += shift;
  }
  // a has at most 54 bits now; a * 2^e is exact in a double unless it overflows
  let v = Number(a);
  if (e > 0) {
    for (let k = e; k > 0; ) {
      const s = Math.min(k, 1000);
      v *= 2 ** s;
      k -= s;
    }
  } else if (e < 0) {
    // scale in two steps so that no intermediate underflows
    const k = -e;
    v = k > 1000 ? v * 2 ** -1000 * 2 ** -(k - 1000) : v * 2 ** -k;
  }
  return neg ? -v : v;
}

// ---------------------------------------------------------------------------------------------
// tables (glibc 2.36, verified against libm.so.6)

const LOG_TAB = [
  1.4504249240398293, -0.3718565645633589, 1.442253508327276, -0.36620682668944937, 1.4341736174350004, -0.3605888069791945,
  1.426183816329995, -0.3550022171419869, 1.4182825527052965, -0.34944666968829097, 1.4104682921759335, -0.3439217713603284,
  1.4027396147468003, -0.3384271921261188, 1.3950954438932313, -0.332962831494342, 1.3875338232485754, -0.32752794345742586,
  1.3800539211058593, -0.32212257167088865, 1.3726542695419708, -0.3167462884799761, 1.3653332798446802, -0.3113985598928366,
  1.358090204587874, -0.3060794515165526, 1.3509234892132138, -0.300788424667644, 1.3438320840699889, -0.2955252968476998,
  1.3368146974742003, -0.29028969275850613, 1.329870114677736, -0.2850812793277555, 1.322997339161106, -0.27989987391470095,
  1.316195352741367, -0.27474526621870154, 1.3094628125672239, -0.2696169863701243, 1.3027990455471041, -0.26451506180308115,
  1.2962024229438942, -0.2594387762767383, 1.2896726275815547, -0.2543884090981692, 1.2832080305745537, -0.24936321635129843,
  1.276807885983376, -0.24436312405975968, 1.2704714060687552, -0.23938801747897287, 1.2641976054949482, -0.23443761696705678,
  1.257985357514882, -0.22951151871518505, 1.2518337750655457, -0.2246094963439873, 1.2457421919097305, -0.21973149037705753,
  1.2397094966625508, -0.2148770752847895, 1.2337348463589233, -0.210046029103637, 1.2278176973028803, -0.20523836373934046,
  1.2219570190618474, -0.20045368751368642, 1.2161519732977757, -0.1956917537758045, 1.2104018095009725, -0.19095237845203883,
  1.204705805718973, -0.18623539250290833, 1.1990631185441964, -0.18154051731551135, 1.1934733004462308, -0.1768677957431919,
  1.1879350812847385, -0.17221657406412305, 1.1824481322833125, -0.16758697765942543, 1.1770114976921955, -0.16297859687290384,
  1.1716248121809465, -0.15839151377804228, 1.1662869231674715, -0.15382513241456763, 1.1609977486762766, -0.14927976358922024,
  1.1557563220795803, -0.14475495398119165, 1.1505619105480347, -0.14025044090817573, 1.1454138888505974, -0.1357660466685502,
  1.140311877374656, -0.1313018016355727, 1.1352550225747513, -0.12685731518763532, 1.1302429094831266, -0.1224325737671279,
  1.1252747693068048, -0.11802724521862729, 1.1203501571039876, -0.11364127671663482, 1.1154683327680124, -0.10927434611278386,
  1.1106291463292157, -0.10492665324943573, 1.1058315813301596, -0.10059761422644442, 1.1010752177696026, -0.09628717309055901,
  1.0963597137952512, -0.09199534069557558, 1.0916844827550398, -0.08772190036688698, 1.0870487291277784, -0.08346643613867855,
  1.082452357388312, -0.07922916827544668, 1.0778948225025884, -0.0750099004750382, 1.0733751731601076, -0.07080805133352897,
  1.068893585073351, -0.06662408085151128, 1.0644491706655506, -0.06245745471915143, 1.0600414846328305, -0.0583080438042316,
  1.0556701316181605, -0.05417576112313327, 1.051334750556926, -0.050060547896805474, 1.0470347288442157, -0.045962101199052086,
  1.0427699229652954, -0.04188056008865715, 1.0385395013738175, -0.03781540056183985, 1.034343418940345, -0.03376684757915882,
  1.0301811073173315, -0.029734619131772888, 1.026052043621297, -0.025718470239212365, 1.0219561082336197, -0.021718543925430822,
  1.0178926505784922, -0.01773446126981071, 1.0138614436244586, -0.013766252464051831, 1.0098620186501341, -0.009813706322574944,
  1.0058938559734134, -0.005876555150052809, 1.00195696235014, -0.0019550499938532084, 0.9961089923088509, 0.0038985973556009412,
  0.9884170338185201, 0.011650571286395461, 0.9808429191005297, 0.019342955478919066, 0.9733840169987446, 0.0269766014846482,
  0.9660377568876556, 0.034552359728422744, 0.9588014945307369, 0.04207121767183253, 0.9516728569073111, 0.049533940950141186,
  0.9446494635965822, 0.056941358295944156, 0.9377288993026223, 0.06429439168346107, 0.9309091073790681, 0.0715936354946507,
  0.924187681612722, 0.07884010933776153, 0.9175626765599192, 0.08603438905970506, 0.9110320403624034, 0.09317721180013905,
  0.9045935839762024, 0.10026951462748457, 0.8982456375922825, 0.10731170956330516, 0.8919860966782501, 0.11430473320717738,
  0.8858131121185129, 0.12124928503033061, 0.879725075760676, 0.12814583422959913, 0.8737201372634685, 0.1349951636851756,
  0.8677966405782273, 0.1417978768189414, 0.8619528050060739, 0.14855476039031146, 0.8561872354420692, 0.1552661937658968,
  0.8504983927816893, 0.16193275688146969, 0.8448844572790304, 0.16855539792220497, 0.8393442741575965, 0.1751343179947753,
  0.8338762249349438, 0.1816702989864325, 0.8284789320557778, 0.18816387146023317, 0.8231510800065832, 0.1946155228479256,
  0.8178913903778707, 0.20102572579389744, 0.8126984007245374, 0.2073952090795501, 0.8075710029460227, 0.21372429840596396,
  0.8025078881160415, 0.2200135945981856, 0.7975077379364331, 0.22626374162859975, 0.792569604966373, 0.23247494747693054,
  0.7876923641254114, 0.23864766620658884, 0.7828746724940998, 0.24478265647405806, 0.7781155388790811, 0.25088025827324145,
  0.7734139557869777, 0.2569408552510595, 0.7687687179914933, 0.26296511155101143, 0.7641790698041854, 0.2689531327189343,
  0.7596438763692399, 0.27490553924610595, 0.7551621951078668, 0.2808227248478943, 0.7507331780216866, 0.286704979267256,
  0.7463557196361751, 0.29255295645509705, 0.7420289364869653, 0.2983670386142876, 0.7377521537065876, 0.30414734587282055,
  0.7335242966002608, 0.30989455774829366, 0.729344777457841, 0.31560871301871884,
];
const SINCOSTAB = [
  0.0, 0.0, 1.0, 0.0, 0.0078124205273828315, -4.102755709382617e-19, 0.9999694825770951, 5.427791428371788e-17,
  0.015624364224883372, -1.265093755275982e-19, 0.9998779321710066, 3.216122229972341e-17, 0.02343535429172257,
  1.0500785515068913e-19, 0.9997253543694995, 4.666714544113391e-17, 0.03124491398532608, -1.562781562225433e-18,
  0.9995117584851364, -3.418806487972947e-17, 0.03905256665042215, 1.1342467037138512e-18, 0.999237157554709,
  1.1089280858439994e-17, 0.04685783574813424, -2.3419368365610254e-18, 0.9989015683384429, -2.1425557800399754e-17,
  0.05466024488506646, 3.373831935351774e-19, 0.9985050113189741, 1.779930870620664e-17, 0.0624593178423802,
  -2.040259504585711e-18, 0.9980475107000991, 3.3232291674141346e-17, 0.07025457860486005, -6.773890900301373e-18,
  0.9975290944052978, 5.112086057887235e-18, 0.07804555138996731, -5.4494437820057936e-18, 0.9969497940760287,
  -1.2467075728553626e-17, 0.08583176067687935, -3.490037167231825e-18, 0.996309645069798, -1.1743657041590172e-18,
  0.09361273123551289, 1.4628632005878733e-18, 0.9956086864580017, 3.312922430932991e-17, 0.10138798815552964,
  3.99242856835807e-18, 0.9948469610235406, -8.198278333258706e-18, 0.10915705687532236, 6.6284699502736666e-18,
  0.9940245152582091, 1.3287985046260087e-17, 0.11691946321097965, -2.283412536970096e-18, 0.9931413993598577,
  2.8553964189785565e-17, 0.12467473338522769, -2.925947496057858e-18, 0.992197667229329, 4.754870575189364e-17,
  0.13242239405634718, 1.2801053067990684e-17, 0.9911933764671682, 3.1426138811726996e-17, 0.1401619723470637,
  -9.946847113883478e-18, 0.9901285883701071, -4.589906353553811e-18, 0.14789299587340962, -1.3140968557128452e-17,
  0.9890033679273229, 1.7676104005868335e-18, 0.15561499277355603, 8.886053372342288e-18, 0.9878177838164719,
  4.91917302237681e-17, 0.16332749173661285, 5.483569430347159e-18, 0.9865719083994976, -1.0327444588275446e-17,
  0.17103002203139503, -9.954774726452923e-18, 0.9852658177182139, -4.925721262944555e-17, 0.17872211353515366,
  -1.6240405901074e-20, 0.983899591489664, -2.1647988531644275e-17, 0.18640329676226988, 2.3493796901281573e-18,
  0.9824733131012553, -3.919920375420088e-17, 0.1940731028929098, -7.832741210198615e-18, 0.9809870696056692,
  1.967841180870303e-17, 0.2017310638016388, 5.587232815460113e-18, 0.9794409517155483, 1.310876952152676e-17,
  0.20937671208599365, -5.536403693172164e-18, 0.9778350537979598, 2.9910028492769484e-17, 0.21700958109501015,
  1.1170071073364376e-17, 0.9761694738686353, -7.850690609285027e-18, 0.2246292049577053, -1.058590416432903e-17,
  0.9744443135859889, 4.990128834921396e-17, 0.23223511861151147, -8.318080852687206e-18, 0.9726596782449127,
  2.3920264546490165e-17, 0.23982685783066157, -7.260810660979712e-18, 0.9708156767703494, 5.1285792532153653e-17,
  0.24740395925452294, -7.53102495590706e-18, 0.9689124217106447, 5.071436662403936e-17, 0.2549659604158785,
  -2.2310035435425957e-17, 0.9669500292306779, -3.237770297707692e-17, 0.2625123997691533, -2.2534597527902128e-17,
  0.964928619104771, -3.0345542681018625e-18, 0.27004281671858504, -1.2103265097887777e-17, 0.9628483147093797,
  -4.646009771724241e-18, 0.2775567516463363, 1.7674070262791825e-17, 0.9607092430155619, -2.807827063516729e-17,
  0.28505374594054744, -1.8162083107618118e-17, 0.9585115345812286, 8.134621492946255e-18, 0.29253334202332754,
  7.516944930327352e-18, 0.9562553235431753, -3.148450868841629e-17, 0.299995083378683, 2.606392777930734e-17, 0.9539407476088947,
  4.3757589471734985e-17, 0.30743851458038085, 1.1004366442765292e-19, 0.9515679480481722, -3.8614834675674123e-17,
  0.3148631813197453, -2.6921345305772252e-17, 0.949137069684463, 4.149148046099445e-17, 0.3222686304333866,
  2.093773358126606e-17, 0.9466482608860534, -3.911683334934152e-17, 0.32965440993086015, 2.35998378957031e-17,
  0.9441016735570044, -1.6017653284545848e-17, 0.33702006902225307, 1.0312279860787216e-17, 0.9414974631278811,
  -4.85238302367971e-18, 0.3443651581456984, 5.881664587517989e-18, 0.9388357885462655, 6.919329459921788e-18, 0.3516892289948141,
  -2.5616208736069942e-17, 0.9361168122670553, -5.2350302039683216e-17, 0.35899183454606504, 1.7495482840158848e-17,
  0.9333407002425484, -1.322859547778088e-17, 0.36627252908604757, -9.938814562106524e-18, 0.9305076219123143,
  4.488760003328074e-18, 0.37353086823869297, -2.375669144106189e-17, 0.9276177501928519, 4.5350942573591974e-17,
  0.38076640899239017, 2.1372528646211374e-17, 0.924671261467036, 5.5444125388034563e-17, 0.38797870972702503,
  1.759799510335953e-17, 0.9216683355733519, -8.550693097867243e-18, 0.39516733024093426, -1.9613487871414228e-17,
  0.9186091557949183, -4.0564150104514996e-17, 0.4023318317777731, 1.4413875452702007e-17, 0.9154939088483012,
  5.413375566838042e-17, 0.40947177705329507, -5.679403000091266e-18, 0.9123227848721178, 2.6349040211413332e-17,
  0.41658673028204113, -9.610850682533715e-18, 0.909095977415431, 2.920006113841211e-17, 0.42367625720393803,
  -2.331800700068871e-17, 0.9058136834259364, 4.2864666490805214e-17, 0.4307399251108032, -2.6212879607476533e-17,
  0.9024761032379415, 3.112490674651326e-17, 0.4377773028727551, 7.64345629962023e-18, 0.8990834405601384, 9.076951775075616e-18,
  0.4447879609645272, -6.655392977344925e-18, 0.8956359024631707, -8.854043885762716e-18, 0.4517714714916838,
  -8.234073942098903e-18, 0.8921336993669944, 2.3160655211380166e-17, 0.4587274082167366, 1.6080982096218356e-17,
  0.8885770450280356, -4.034491998357167e-17, 0.46565534658516017, 1.459870391051426e-17, 0.8849661565261433,
  -7.690557775987357e-18, 0.47255486375130445, -3.608790703790546e-18, 0.8813012542513406, -4.973073189306066e-17,
  0.479425538604203, -5.103969860556013e-18, 0.8775825618903728, -4.2623149864279997e-17, 0.48626695179327556,
  1.5131647652857083e-17, 0.8738103064130545, 4.767670756525657e-17, 0.49307868575392305, 5.605083973871755e-18,
  0.8699847180584174, 1.657385110740923e-17, 0.49986032473301345, 1.3570481487732128e-17, 0.8661060303206567,
  2.0097792543831333e-17, 0.5066114548142574, -3.269413423618168e-17, 0.8621744799348805, 4.4132427578105805e-18,
  0.5133316639434712, 3.462454351928195e-17, 0.8581903068626604, -5.4374664844403745e-17, 0.520020541953727,
  -3.983266745698455e-17, 0.8541537542773854, 5.420565102675287e-18, 0.5266776805903868, -4.570502275386202e-17,
  0.8500650685494202, 5.317093455811416e-17, 0.5333026735360201, 5.129318115032044e-17, 0.8459244992310679, 1.549506647350329e-17,
  0.5398951164352044, 2.4263515104613218e-17, 0.8417322990413384, -2.7333362440269662e-17, 0.5464546069192036,
  8.399754840929507e-18, 0.8374887238505236, 4.3337026043948396e-17, 0.5529807446305274, -6.743270455611733e-18,
  0.8331940326645814, -1.8644878796734315e-19, 0.5594731312473669, 1.575565514488728e-17, 0.8288484876093257,
  1.1163935406617444e-17, 0.565931370507906, 6.582459440388572e-18, 0.8244523539144292, 3.731817754380378e-17, 0.5723550682345072,
  2.6575872357215316e-17, 0.820005899897234, -3.912431748209128e-17, 0.5787438323577704, -2.7958488978746924e-17,
  0.8155093969463755, 1.3751889684983784e-18, 0.5850972729404622, -5.4883972461161805e-17, 0.8109631195052179,
  -3.091333486122179e-17, 0.5914150022013163, 5.0668448898504805e-17, 0.8063673450551039, 3.4650875715584734e-17,
  0.5976966345387015, 5.450323593054385e-17, 0.8017223540984184, 4.0134533311087014e-17, 0.6039417865541566,
  1.1794923733511837e-17, 0.7970284301414683, 5.0523609948487484e-17, 0.6101500770757914, -1.479826990758988e-17,
  0.7922858596771786, -2.9049779312834576e-17, 0.616321127181551, -2.20849501729641e-17, 0.7874949321676061,
  -4.8080555050456574e-17, 0.6224545602223437, -6.049035765709707e-18, 0.7826559400262728, -1.474071641211487e-17,
  0.6285500018450296, 3.5348797769901485e-17, 0.7777691786003179, -8.842419849333787e-18, 0.6346070800152693,
  -3.4568582392624965e-17, 0.7728349461524715, 4.231014921891023e-17, 0.6406254250402305, -4.700891123899386e-17,
  0.7678535438428503, 4.9065912521116424e-17, 0.6466046695911524, 4.567647714393287e-19, 0.7628252757105762,
  1.6672995021546628e-17, 0.652544448725766, -4.5598735935930497e-17, 0.7577504486552193, -1.878215121154204e-18,
  0.6584443999105676, -3.7736386700306717e-17, 0.7526293724180665, -1.2970993013150526e-17, 0.6643041630429463,
  1.5784492324431575e-17, 0.7474623595632162, 5.6627515613726676e-18, 0.6701233804731629, 6.18353672557496e-18,
  0.7422497254585013, -1.2339303604869521e-17, 0.6759016970261789, -5.119389624609889e-17, 0.7369917882562408,
  -4.631213290368497e-17, 0.6816387600233341, 4.410467313197903e-17, 0.7316888688738209, -1.0475824306512768e-17,
  0.6873342193038735, 2.8994333996809586e-17, 0.7263412909741086, -9.465899179857832e-18, 0.692987727246318,
  -5.3543290798909455e-17, 0.7209493809456964, 3.494986701478816e-17, 0.6985989387896817, 2.975439919188114e-17,
  0.7155134678829815, 3.8181038992157035e-17, 0.7041675114545337, -3.94095700584825e-17, 0.7100338835660797,
  1.505272211891291e-17, 0.7096931053638997, -9.468276958542117e-18, 0.7045109624405747, -4.451398614976226e-17,
  0.7151753832640076, -1.466099578328228e-17, 0.6989450415971057, -5.5261332036460915e-18, 0.7206140105448711,
  1.105694456137362e-17, 0.6933364607507934, 1.2822831674529969e-17, 0.7260086552607126, -1.573621815339587e-17,
  0.6876855622205048, 3.5430696752823923e-17, 0.7313589881502236, 2.6553630314845697e-17, 0.6819926909079606,
  2.8089333561212785e-17, 0.7366646826566614, -4.639723374875429e-17, 0.6762581942766833, 3.497002399394248e-17,
  0.7419254149477796, 2.907482756987512e-18, 0.6704824223307908, 5.425808997571648e-17, 0.7471408639355942, 2.937498788028212e-17,
  0.6646657275936333, -5.2874573286772266e-17, 0.7523107112959804, -4.07866182575664e-17, 0.6588084650862769,
  1.7760805237087262e-17,
];
// exp table: 128 pairs of uint64 (tail bits, scale bits) as hex
const EXP_TAB_HEX = [
  "0",
  "3ff0000000000000",
  "3c9b3b4f1a88bf6e",
  "3feff63da9fb3335",
  "bc7160139cd8dc5d",
  "3fefec9a3e778061",
  "bc905e7a108766d1",
  "3fefe315e86e7f85",
  "3c8cd2523567f613",
  "3fefd9b0d3158574",
  "bc8bce8023f98efa",
  "3fefd06b29ddf6de",
  "3c60f74e61e6c861",
  "3fefc74518759bc8",
  "3c90a3e45b33d399",
  "3fefbe3ecac6f383",
  "3c979aa65d837b6d",
  "3fefb5586cf9890f",
  "3c8eb51a92fdeffc",
  "3fefac922b7247f7",
  "3c3ebe3d702f9cd1",
  "3fefa3ec32d3d1a2",
  "bc6a033489906e0b",
  "3fef9b66affed31b",
  "bc9556522a2fbd0e",
  "3fef9301d0125b51",
  "bc5080ef8c4eea55",
  "3fef8abdc06c31cc",
  "bc91c923b9d5f416",
  "3fef829aaea92de0",
  "3c80d3e3e95c55af",
  "3fef7a98c8a58e51",
  "bc801b15eaa59348",
  "3fef72b83c7d517b",
  "bc8f1ff055de323d",
  "3fef6af9388c8dea",
  "3c8b898c3f1353bf",
  "3fef635beb6fcb75",
  "bc96d99c7611eb26",
  "3fef5be084045cd4",
  "3c9aecf73e3a2f60",
  "3fef54873168b9aa",
  "bc8fe782cb86389d",
  "3fef4d5022fcd91d",
  "3c8a6f4144a6c38d",
  "3fef463b88628cd6",
  "3c807a05b0e4047d",
  "3fef3f49917ddc96",
  "3c968efde3a8a894",
  "3fef387a6e756238",
  "3c875e18f274487d",
  "3fef31ce4fb2a63f",
  "3c80472b981fe7f2",
  "3fef2b4565e27cdd",
  "bc96b87b3f71085e",
  "3fef24dfe1f56381",
  "3c82f7e16d09ab31",
  "3fef1e9df51fdee1",
  "bc3d219b1a6fbffa",
  "3fef187fd0dad990",
  "3c8b3782720c0ab4",
  "3fef1285a6e4030b",
  "3c6e149289cecb8f",
  "3fef0cafa93e2f56",
  "3c834d754db0abb6",
  "3fef06fe0a31b715",
  "3c864201e2ac744c",
  "3fef0170fc4cd831",
  "3c8fdd395dd3f84a",
  "3feefc08b26416ff",
  "bc86a3803b8e5b04",
  "3feef6c55f929ff1",
  "bc924aedcc4b5068",
  "3feef1a7373aa9cb",
  "bc9907f81b512d8e",
  "3feeecae6d05d866",
  "bc71d1e83e9436d2",
  "3feee7db34e59ff7",
  "bc991919b3ce1b15",
  "3feee32dc313a8e5",
  "3c859f48a72a4c6d",
  "3feedea64c123422",
  "bc9312607a28698a",
  "3feeda4504ac801c",
  "bc58a78f4817895b",
  "3feed60a21f72e2a",
  "bc7c2c9b67499a1b",
  "3feed1f5d950a897",
  "3c4363ed60c2ac11",
  "3feece086061892d",
  "3c9666093b0664ef",
  "3feeca41ed1d0057",
  "3c6ecce1daa10379",
  "3feec6a2b5c13cd0",
  "3c93ff8e3f0f1230",
  "3feec32af0d7d3de",
  "3c7690cebb7aafb0",
  "3feebfdad5362a27",
  "3c931dbdeb54e077",
  "3feebcb299fddd0d",
  "bc8f94340071a38e",
  "3feeb9b2769d2ca7",
  "bc87deccdc93a349",
  "3feeb6daa2cf6642",
  "bc78dec6bd0f385f",
  "3feeb42b569d4f82",
  "bc861246ec7b5cf6",
  "3feeb1a4ca5d920f",
  "3c93350518fdd78e",
  "3feeaf4736b527da",
  "3c7b98b72f8a9b05",
  "3feead12d497c7fd",
  "3c9063e1e21c5409",
  "3feeab07dd485429",
  "3c34c7855019c6ea",
  "3feea9268a5946b7",
  "3c9432e62b64c035",
  "3feea76f15ad2148",
  "bc8ce44a6199769f",
  "3feea5e1b976dc09",
  "bc8c33c53bef4da8",
  "3feea47eb03a5585",
  "bc845378892be9ae",
  "3feea34634ccc320",
  "bc93cedd78565858",
  "3feea23882552225",
  "3c5710aa807e1964",
  "3feea155d44ca973",
  "bc93b3efbf5e2228",
  "3feea09e667f3bcd",
  "bc6a12ad8734b982",
  "3feea012750bdabf",
  "bc6367efb86da9ee",
  "3fee9fb23c651a2f",
  "bc80dc3d54e08851",
  "3fee9f7df9519484",
  "bc781f647e5a3ecf",
  "3fee9f75e8ec5f74",
  "bc86ee4ac08b7db0",
  "3fee9f9a48a58174",
  "bc8619321e55e68a",
  "3fee9feb564267c9",
  "3c909ccb5e09d4d3",
  "3feea0694fde5d3f",
  "bc7b32dcb94da51d",
  "3feea11473eb0187",
  "3c94ecfd5467c06b",
  "3feea1ed0130c132",
  "3c65ebe1abd66c55",
  "3feea2f336cf4e62",
  "bc88a1c52fb3cf42",
  "3feea427543e1a12",
  "bc9369b6f13b3734",
  "3feea589994cce13",
  "bc805e843a19ff1e",
  "3feea71a4623c7ad",
  "bc94d450d872576e",
  "3feea8d99b4492ed",
  "3c90ad675b0e8a00",
  "3feeaac7d98a6699",
  "3c8db72fc1f0eab4",
  "3feeace5422aa0db",
  "bc65b6609cc5e7ff",
  "3feeaf3216b5448c",
  "3c7bf68359f35f44",
  "3feeb1ae99157736",
  "bc93091fa71e3d83",
  "3feeb45b0b91ffc6",
  "bc5da9b88b6c1e29",
  "3feeb737b0cdc5e5",
  "bc6c23f97c90b959",
  "3feeba44cbc8520f",
  "bc92434322f4f9aa",
  "3feebd829fde4e50",
  "bc85ca6cd7668e4b",
  "3feec0f170ca07ba",
  "3c71affc2b91ce27",
  "3feec49182a3f090",
  "3c6dd235e10a73bb",
  "3feec86319e32323",
  "bc87c50422622263",
  "3feecc667b5de565",
  "3c8b1c86e3e231d5",
  "3feed09bec4a2d33",
  "bc91bbd1d3bcbb15",
  "3feed503b23e255d",
  "3c90cc319cee31d2",
  "3feed99e1330b358",
  "3c8469846e735ab3",
  "3feede6b5579fdbf",
  "bc82dfcd978e9db4",
  "3feee36bbfd3f37a",
  "3c8c1a7792cb3387",
  "3feee89f995ad3ad",
  "bc907b8f4ad1d9fa",
  "3feeee07298db666",
  "bc55c3d956dcaeba",
  "3feef3a2b84f15fb",
  "bc90a40e3da6f640",
  "3feef9728de5593a",
  "bc68d6f438ad9334",
  "3feeff76f2fb5e47",
  "bc91eee26b588a35",
  "3fef05b030a1064a",
  "3c74ffd70a5fddcd",
  "3fef0c1e904bc1d2",
  "bc91bdfbfa9298ac",
  "3fef12c25bd71e09",
  "3c736eae30af0cb3",
  "3fef199bdd85529c",
  "3c8ee3325c9ffd94",
  "3fef20ab5fffd07a",
  "3c84e08fd10959ac",
  "3fef27f12e57d14b",
  "3c63cdaf384e1a67",
  "3fef2f6d9406e7b5",
  "3c676b2c6c921968",
  "3fef3720dcef9069",
  "bc808a1883ccb5d2",
  "3fef3f0b555dc3fa",
  "bc8fad5d3ffffa6f",
  "3fef472d4a07897c",
  "bc900dae3875a949",
  "3fef4f87080d89f2",
  "3c74a385a63d07a7",
  "3fef5818dcfba487",
  "bc82919e2040220f",
  "3fef60e316c98398",
  "3c8e5a50d5c192ac",
  "3fef69e603db3285",
  "3c843a59ac016b4b",
  "3fef7321f301b460",
  "bc82d52107b43e1f",
  "3fef7c97337b9b5f",
  "bc892ab93b470dc9",
  "3fef864614f5a129",
  "3c74b604603a88d3",
  "3fef902ee78b3ff6",
  "3c83c5ec519d7271",
  "3fef9a51fbc74c83",
  "bc8ff7128fd391f0",
  "3fefa4afa2a490da",
  "bc8dae98e223747d",
  "3fefaf482d8e67f1",
  "3c8ec3bc41aa2008",
  "3fefba1bee615a27",
  "3c842b94c3a9eb32",
  "3fefc52b376bba97",
  "3c8a64a931d185ee",
  "3fefd0765b6e4540",
  "bc8e37bae43be3ed",
  "3fefdbfdad9cbe14",
  "3c77893b4d91cd9d",
  "3fefe7c1819e90d8",
  "3c5305c14160cc89",
  "3feff3c22b8f71f1",
];

const EXP_TAB = new Float64Array(256);
{
  const v = new BigUint64Array(EXP_TAB.buffer);
  for (let i = 0; i < 256; i++) v[i] = BigInt(`0x${EXP_TAB_HEX[i]}`);
}

// ---------------------------------------------------------------------------------------------
// log (e_log.c, __ieee754_log_fma)

const LN2HI = 0.6931471805598903;
const LN2LO = 5.497923018708371e-14;
const A0 = -0.5000000000000001;
const A1 = 0.33333333331825593;
const A2 = -0.2499999999622955;
const A3 = 0.20000304511814496;
const A4 = -0.16667054827627667;
const B0 = -0.5;
const B1 = 0.3333333333333352;
const B2 = -0.24999999999998432;
const B3 = 0.19999999999320328;
const B4 = -0.16666666669929706;
const B5 = 0.14285715076560868;
const B6 = -0.12499997863982555;
const B7 = 0.11110712032936046;
const B8 = -0.10000486757818193;
const B9 = 0.09181994006195467;
const B10 = -0.08328363062289341;

/** glibc's log(x), bit for bit. */
export function log(x: number): number {
  // 1 - 2^-4 <= x < 1 + 0x1.09p-4: the polynomial around 1
  if (x >= 0.9375 && x < 1.064697265625) {
    if (x === 1) return 0;
    const r = x - 1.0;
    const r2 = r * r;
    const r3 = r * r2;
    const p2 = fma(r2, B3, fma(r, B2, B1));
    const p5 = fma(r2, B6, fma(r, B5, B4));
    let q = fma(r2, B9, fma(r, B8, B7));
    q = fma(r3, B10, q);
    q = fma(q, r3, p5);
    q = fma(q, r3, p2);
    const rhi = fma(-134217728, r, fma(r, 134217728, r));
    const rlo = r - rhi;
    const rhi2 = rhi * rhi;
    const hi = fma(rhi2, B0, r);
    let lo = fma(rhi2, B0, r - hi);
    lo = fma(B0 * rlo, rhi + r, lo);
    const y = fma(q, r3, lo);
    return hi + y;
  }
  f64[0] = x;
  let hi32 = u32[1] as number;
  let lo32 = u32[0] as number;
  const top = hi32 >>> 16;
  if (top - 0x0010 >= 0x7ff0 - 0x0010 || top < 0x0010) {
    if (x === 0) return Number.NEGATIVE_INFINITY;
    if (x === Number.POSITIVE_INFINITY) return x;
    if (top & 0x8000 || (top & 0x7ff0) === 0x7ff0) return Number.NaN;
    // subnormal: normalise
    f64[0] = x * 2 ** 52;
    hi32 = ((u32[1] as number) - (52 << 20)) >>> 0;
    lo32 = u32[0] as number;
  }
  const tmpHi = (hi32 - 0x3fe60000) | 0; // (ix - OFF) >> 32, OFF = 0x3fe6000000000000
  const i = (tmpHi >>> 13) & 0x7f;
  const k = tmpHi >> 20;
  const z = fromWords((hi32 - (tmpHi & 0xfff00000)) >>> 0, lo32);
  const invc = LOG_TAB[2 * i] as number;
  const logc = LOG_TAB[2 * i + 1] as number;
  const r = fma(z, invc, -1.0);
  const kd = k;
  const w = fma(kd, LN2HI, logc);
  const hi = w + r;
  const lo = fma(kd, LN2LO, w - hi + r);
  const r2 = r * r;
  const t1 = fma(r, A2, A1);
  const t2 = fma(r, A4, A3);
  const q = fma(r2, A0, lo);
  const p = fma(t2, r2, t1);
  const y = fma(r * r2, p, q);
  return y + hi;
}

// ---------------------------------------------------------------------------------------------
// sin, cos, sincos (s_sin.c / s_sincos.c, __sin_fma / __cos_fma / __sincos_fma)

const SN3 = -0.16666666666666488;
const SN5 = 0.008333332142857223;
const CS2 = 0.5;
const CS4 = -0.04166666666666644;
const CS6 = 0.001388888740079376;
const S1 = -0.16666666666666666;
const S2 = 0.008333333333332329;
const S3 = -0.00019841269834414642;
const S4 = 2.755729806860771e-6;
const S5 = -2.5022014848318398e-8;
const BIG = 52776558133248.0; // 0x1.8p45
const HP0 = 1.5707963267948966;
const HP1 = 6.123233995736766e-17;
const MP1 = 1.5707963407039642;
const MP2 = -1.3909067564377153e-8;
const PP3 = -4.97899623147991e-17;
const PP4 = -1.9034889620193266e-25;
const HPINV = 0.6366197723675814;
const TOINT = 6755399441055744.0; // 0x1.8p52

const copysign = (a: number, s: number): number => {
  const neg = s < 0 || Object.is(s, -0);
  const m = Math.abs(a);
  return neg ? -m : m;
};

function taylorSin(xx: number, x: number, dx: number): number {
  let a = fma(S5, xx, S4);
  a = fma(a, xx, S3);
  a = fma(a, xx, S2);
  a = fma(a, xx, S1);
  const t = fma(fma(a, x, -(0.5 * dx)), xx, dx);
  return x + t;
}

function doCos(x: number, dx: number): number {
  if (x < 0) dx = -dx;
  const ax = Math.abs(x);
  const u = BIG + ax;
  x = ax - (u - BIG) + dx;
  const xx = x * x;
  const s = fma(x * xx, fma(xx, SN5, SN3), x);
  const c = xx * fma(xx, fma(xx, CS6, CS4), CS2);
  const k = loWord(u) << 2;
  const sn = SINCOSTAB[k] as number;
  const ssn = SINCOSTAB[k + 1] as number;
  const cs = SINCOSTAB[k + 2] as number;
  const ccs = SINCOSTAB[k + 3] as number;
  const cor = fma(-sn, s, fma(-cs, c, fma(-s, ssn, ccs)));
  return cs + cor;
}

function doSin(x: number, dx: number): number {
  const xold = x;
  if (Math.abs(x) < 0.126) return taylorSin(x * x, x, dx);
  if (x <= 0) dx = -dx;
  const ax = Math.abs(x);
  const u = BIG + ax;
  x = ax - (u - BIG);
  const xx = x * x;
  const s = x + fma(x * xx, fma(xx, SN5, SN3), dx);
  const c = fma(x, dx, xx * fma(xx, fma(xx, CS6, CS4), CS2));
  const k = loWord(u) << 2;
  const sn = SINCOSTAB[k] as number;
  const ssn = SINCOSTAB[k + 1] as number;
  const cs = SINCOSTAB[k + 2] as number;
  const ccs = SINCOSTAB[k + 3] as number;
  const cor = fma(cs, s, fma(-sn, c, fma(s, ccs, ssn)));
  return copysign(sn + cor, xold);
}

/** Range reduction for 2.426265 <= |x| < 105414350: returns [n, a, da]. */
function reduceSincos(x: number): [number, number, number] {
  const t = fma(x, HPINV, TOINT);
  const xn = t - TOINT;
  const n = loWord(t) & 3;
  const y = fma(-xn, MP2, fma(-xn, MP1, x));
  const t2 = fma(-xn, PP3, y);
  let db = fma(-xn, PP3, y - t2);
  const b = fma(-xn, PP4, t2);
  db = db + fma(-xn, PP4, t2 - b);
  return [n, b, db];
}

function doSincos(a: number, da: number, n: number): number {
  const r = n & 1 ? doCos(a, da) : doSin(a, da);
  return n & 2 ? -r : r;
}

/** glibc's sin(x), bit for bit for |x| < 105414350 (beyond: Math.sin). */
export function sin(x: number): number {
  const k = hiWord(x) & 0x7fffffff;
  if (k < 0x3e500000) return x;
  if (k < 0x3feb6000) return doSin(x, 0);
  if (k < 0x400368fd) return copysign(doCos(HP0 - Math.abs(x), HP1), x);
  if (k < 0x419921fb) {
    const [n, a, da] = reduceSincos(x);
    return doSincos(a, da, n);
  }
  if (k < 0x7ff00000) return Math.sin(x);
  return Number.NaN;
}

/** glibc's cos(x), bit for bit for |x| < 105414350 (beyond: Math.cos). */
export function cos(x: number): number {
  const k = hiWord(x) & 0x7fffffff;
  if (k < 0x3e400000) return 1.0;
  if (k < 0x3feb6000) return doCos(x, 0);
  if (k < 0x400368fd) {
    const y = HP0 - Math.abs(x);
    const a = y + HP1;
    const da = y - a + HP1;
    return doSin(a, da);
  }
  if (k < 0x419921fb) {
    const [n, a, da] = reduceSincos(x);
    return doSincos(a, da, n + 1);
  }
  if (k < 0x7ff00000) return Math.cos(x);
  return Number.NaN;
}

/** glibc's sincos(x) → [sin, cos], bit for bit for |x| < 105414350 (what GCC emits for sin(t) and cos(t) of one t). */
export function sincos(x: number): [number, number] {
  sincosTo(x, SC);
  return [SC[0] as number, SC[1] as number];
}
const SC = new Float64Array(2);

/** sincos writing sin to out[0] and cos to out[1] (no allocation). */
export function sincosTo(x: number, out: Float64Array): void {
  const k = hiWord(x) & 0x7fffffff;
  if (k < 0x400368fd) {
    if (k < 0x3e400000) {
      out[0] = x;
      out[1] = 1.0;
    } else if (k < 0x3feb6000) {
      out[0] = doSin(x, 0);
      out[1] = doCos(x, 0);
    } else {
      const y = HP0 - Math.abs(x);
      const a = y + HP1;
      const da = y - a + HP1;
      out[0] = copysign(doCos(a, da), x);
      out[1] = doSin(a, da);
    }
    return;
  }
  if (k < 0x7ff00000) {
    if (k >= 0x419921fb) {
      out[0] = Math.sin(x);
      out[1] = Math.cos(x);
      return;
    }
    let [n, a, da] = reduceSincos(x);
    n &= 3;
    if (n === 1 || n === 2) {
      a = -a;
      da = -da;
    }
    const s = doSin(a, da);
    const c0 = doCos(a, da);
    const c = n & 2 ? -c0 : c0;
    out[n & 1] = s;
    out[1 - (n & 1)] = c;
    return;
  }
  out[0] = Number.NaN;
  out[1] = Number.NaN;
}

// ---------------------------------------------------------------------------------------------
// exp (e_exp.c, __ieee754_exp_fma)

const INVLN2N = 184.6649652337873; // 0x1.71547652b82fep0 * 128
const NEGLN2HIN = -0.005415212348111709;
const NEGLN2LON = -1.2864023111638346e-14;
const SHIFT = 6755399441055744.0;
const C2 = 0.49999999999996786;
const C3 = 0.16666666666665886;
const C4 = 0.0416666808410674;
const C5 = 0.008333335853059549;

/** glibc's exp(x), bit for bit. */
export function exp(x: number): number {
  let abstop = (hiWord(x) >>> 20) & 0x7ff;
  if ((abstop - 0x3c9) >>> 0 >= 0x408 - 0x3c9) {
    if (abstop < 0x3c9) return 1.0 + x; // tiny x (also 0)
    if (abstop >= 0x409) {
      if (x === Number.NEGATIVE_INFINITY) return 0;
      if (abstop >= 0x7ff) return 1.0 + x;
      return x < 0 ? 0 : Number.POSITIVE_INFINITY;
    }
    abstop = 0; // large |x|: special case below
  }
  let kd = fma(INVLN2N, x, SHIFT);
  const ki = loWord(kd); // low 32 bits of the integer k (enough for idx and the exponent shift)
  kd -= SHIFT;
  const r = fma(kd, NEGLN2LON, fma(kd, NEGLN2HIN, x));
  const idx = 2 * (ki & 127);
  const tail = EXP_TAB[idx] as number;
  // sbits = T[idx + 1] + (ki << 45) (64-bit wrap-around): only the high word changes
  f64[0] = EXP_TAB[idx + 1] as number;
  const sHi = ((u32[1] as number) + ((ki << 13) >>> 0)) >>> 0;
  const sLo = u32[0] as number;
  const r2 = r * r;
  let tmp = fma(r2, fma(r, C3, C2), tail + r);
  tmp = fma(r2 * r2, fma(r, C5, C4), tmp);
  if (abstop === 0) return expSpecial(tmp, sHi, sLo, ki);
  const scale = fromWords(sHi, sLo);
  return fma(scale, tmp, scale);
}

function expSpecial(tmp: number, sHi: number, sLo: number, ki: number): number {
  if ((ki & 0x80000000) === 0) {
    const scale = fromWords((sHi - (1009 << 20)) >>> 0, sLo);
    const y = 2 ** 1009 * fma(scale, tmp, scale);
    return y;
  }
  // (here GCC kept scale*tmp as a separate product: it has two uses)
  const scale = fromWords((sHi + (1022 << 20)) >>> 0, sLo);
  const st = scale * tmp;
  let y = scale + st;
  if (y < 1.0) {
    let lo = scale - y + st;
    const hi = 1.0 + y;
    lo = 1.0 - hi + y + lo;
    y = hi + lo - 1.0;
    if (y === 0) y = 0;
  }
  return 2 ** -1022 * y;
}
