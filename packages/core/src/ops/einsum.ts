// torch.einsum, composed from other ops (autograd comes from them), in PyTorch's steps: parse the
// equation; take diagonals for labels repeated within an operand; align every operand to one label
// order (output labels first, then the contracted ones in order of first appearance), with size-1
// dims where an operand lacks a label; sum out labels that no later operand uses; then combine the
// operands pairwise from left to right, by an elementwise product when nothing is contracted and
// otherwise by permute/reshape into one batched matmul (its sequential-k order, backend.ts).
import { fmtShape, ShapeError, ValueError } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { mul } from "./elementwise.js";
import { matmul } from "./linalg.js";
import { sum } from "./reduce.js";
import { diagonal, movedim, permute, reshape } from "./views.js";

const ELLIPSIS = "...";
/** The label of the k-th broadcast (ellipsis) dim, counted over the widest ellipsis. */
const ellipsisLabel = (k: number): string => `...${k}`;

/** A term's labels in order, "..." standing for the ellipsis; whitespace is ignored. */
function parseTerm(term: string, where: string): string[] {
  const labels: string[] = [];
  const s = term.replace(/\s+/g, "");
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (/[a-zA-Z]/.test(ch)) labels.push(ch);
    else if (s.startsWith(ELLIPSIS, i)) {
      if (labels.includes(ELLIPSIS)) throw new ValueError("einsum", `found more than one ellipsis ('...') in ${where}`);
      labels.push(ELLIPSIS);
      i += 2;
    } else throw new ValueError("einsum", `invalid subscript '${ch}' in ${where}: subscripts must be letters [a-zA-Z] or '...'`);
  }
  return labels;
}

/** Expand an operand's "..." to the labels of its broadcast dims (right-aligned to the widest ellipsis). */
function expandEllipsis(labels: string[], ellipsisDims: number, widest: number): string[] {
  const at = labels.indexOf(ELLIPSIS);
  if (at < 0) return labels;
  const dims = Array.from({ length: ellipsisDims }, (_, k) => ellipsisLabel(widest - ellipsisDims + k));
  return [...labels.slice(0, at), ...dims, ...labels.slice(at + 1)];
}

/** Take the diagonal for every label repeated within one operand, so that each label names one dim. */
function takeDiagonals(x: Tensor, labels: string[], index: number): [Tensor, string[]] {
  let t = x;
  const ls = [...labels];
  for (let p = 0; p < ls.length; p++) {
    const q = ls.indexOf(ls[p] as string, p + 1);
    if (q < 0) continue;
    if (t.shape[p] !== t.shape[q])
      throw new ShapeError(
        "einsum",
        `subscript ${ls[p]} is repeated for operand ${index} but the sizes don't match, ${t.shape[p]} != ${t.shape[q]}`,
      );
    // diagonal() appends the diagonal as the last dim; move it back to the first occurrence.
    t = movedim(diagonal(t, 0, p, q), -1, p);
    ls.splice(q, 1);
    p--;
  }
  return [t, ls];
}

/** View x (one dim per label in `labels`) with every label of `order` in that order, size 1 where x lacks it. */
function align(x: Tensor, labels: string[], order: string[]): Tensor {
  const present = order.filter((l) => labels.includes(l));
  const permuted = permute(
    x,
    present.map((l) => labels.indexOf(l)),
  );
  return reshape(
    permuted,
    order.map((l) => (labels.includes(l) ? (x.shape[labels.indexOf(l)] as number) : 1)),
  );
}

/**
 * Contract a and b (same rank, broadcastable) over `summed` dims with one batched matmul: the dims
 * both have become the batch, a's own dims the rows, b's own dims the columns. The summed dims stay
 * as size 1.
 */
function contract(a: Tensor, b: Tensor, summed: number[]): Tensor {
  const batch: number[] = [];
  const rows: number[] = [];
  const cols: number[] = [];
  a.shape.forEach((sa, d) => {
    if (summed.includes(d)) return;
    const sb = b.shape[d] as number;
    if (sa !== 1 && sb !== 1) batch.push(d);
    else if (sa !== 1) rows.push(d);
    else if (sb !== 1) cols.push(d);
    else batch.push(d);
  });
  const size = (t: Tensor, dims: number[]) => dims.reduce((n, d) => n * (t.shape[d] as number), 1);
  const nBatch = size(a, batch);
  const lhs = reshape(permute(a, [...batch, ...rows, ...summed, ...cols]), [nBatch, size(a, rows), size(a, summed)]);
  const rhs = reshape(permute(b, [...batch, ...summed, ...cols, ...rows]), [nBatch, size(b, summed), size(b, cols)]);
  const order = [...batch, ...rows, ...summed, ...cols];
  const product = reshape(
    matmul(lhs, rhs),
    order.map((d) => (summed.includes(d) ? 1 : rows.includes(d) ? (a.shape[d] as number) : (b.shape[d] as number))),
  );
  const inverse = new Array<number>(order.length);
  order.forEach((d, i) => {
    inverse[d] = i;
  });
  return permute(product, inverse);
}

/** torch.einsum(equation, ...operands), also einsum(equation, [operands]). */
export function einsum(equation: string, ...operands: (Tensor | Tensor[])[]): Tensor {
  const xs = (operands.length === 1 && Array.isArray(operands[0]) ? operands[0] : operands) as Tensor[];
  if (xs.length === 0) throw new ValueError("einsum", "must provide at least one operand");
  const arrow = equation.indexOf("->");
  const lhs = arrow < 0 ? equation : equation.slice(0, arrow);
  const terms = lhs.split(",").map((t, i) => parseTerm(t, `the subscripts of operand ${i}`));
  if (terms.length !== xs.length)
    throw new ValueError(
      "einsum",
      `the equation "${equation}" has ${terms.length} operand term(s) but ${xs.length} operand(s) were given`,
    );

  // Broadcast (ellipsis) dims per operand, and the widest.
  const ellipsisDims = terms.map((labels, i) => {
    const x = xs[i] as Tensor;
    const named = labels.filter((l) => l !== ELLIPSIS).length;
    const hasEllipsis = labels.includes(ELLIPSIS);
    if (hasEllipsis ? x.ndim < named : x.ndim !== named)
      throw new ShapeError(
        "einsum",
        `the number of subscripts in the equation (${named}) ${hasEllipsis ? "is more than" : "does not match"} the number of dimensions (${x.ndim}) for operand ${i}${hasEllipsis ? "" : " and no ellipsis was given"}`,
      );
    return hasEllipsis ? x.ndim - named : 0;
  });
  const widest = Math.max(0, ...ellipsisDims);
  const broadcastLabels = Array.from({ length: widest }, (_, k) => ellipsisLabel(k));
  const opLabels = terms.map((labels, i) => expandEllipsis(labels, ellipsisDims[i] as number, widest));

  // Output labels: explicit, or the ellipsis dims then every label used exactly once, sorted (PyTorch's implicit form).
  let output: string[];
  if (arrow >= 0) {
    const rhs = parseTerm(equation.slice(arrow + 2), "the output subscripts");
    output = rhs.flatMap((l) => (l === ELLIPSIS ? broadcastLabels : [l]));
    for (const l of rhs) {
      if (l === ELLIPSIS) continue;
      if (rhs.indexOf(l) !== rhs.lastIndexOf(l))
        throw new ValueError("einsum", `output subscript ${l} appears more than once in the output`);
      if (!terms.some((t) => t.includes(l)))
        throw new ValueError("einsum", `output subscript ${l} does not appear in the equation for any input operand`);
    }
  } else {
    const count = new Map<string, number>();
    for (const t of terms) for (const l of t) if (l !== ELLIPSIS) count.set(l, (count.get(l) ?? 0) + 1);
    const once = [...count].filter(([, n]) => n === 1).map(([l]) => l);
    output = [...broadcastLabels, ...once.sort()];
  }

  // One label order for every operand: output first, then contracted labels by first appearance.
  const order = [...output];
  for (const labels of opLabels) for (const l of labels) if (!order.includes(l)) order.push(l);
  const aligned = xs.map((x, i) => {
    const [t, labels] = takeDiagonals(x, opLabels[i] as string[], i);
    return align(t, labels, order);
  });

  // Each label's size must agree across operands (size 1 broadcasts).
  order.forEach((l, d) => {
    const sizes = aligned.map((t) => t.shape[d] as number).filter((s) => s !== 1);
    if (sizes.some((s) => s !== sizes[0]))
      throw new ShapeError(
        "einsum",
        `subscript ${l.startsWith(ELLIPSIS) ? "'...'" : l} has incompatible sizes across operands: ${aligned.map((t) => fmtShape(t.shape)).join(", ")} (aligned to ${order.join("")})`,
      );
  });

  // The last operand that uses each contracted label: after it, the label can be summed out.
  const lastUse = order.map((l) =>
    output.includes(l) ? Number.POSITIVE_INFINITY : opLabels.findLastIndex((ls) => ls.includes(l)),
  );
  const dimsLastUsedBy = (i: number) => lastUse.flatMap((u, d) => (u === i ? [d] : []));
  const sumOut = (t: Tensor, dims: number[]) => (dims.length ? sum(t, dims, true) : t);

  let result = sumOut(aligned[0] as Tensor, dimsLastUsedBy(0));
  for (let i = 1; i < aligned.length; i++) {
    let operand = aligned[i] as Tensor;
    const contracted: number[] = [];
    for (const d of dimsLastUsedBy(i)) {
      const inResult = result.shape[d] !== 1;
      const inOperand = operand.shape[d] !== 1;
      if (inResult && inOperand) contracted.push(d);
      else if (inOperand) operand = sum(operand, [d], true);
      else if (inResult) result = sum(result, [d], true);
    }
    result = contracted.length ? contract(result, operand, contracted) : mul(result, operand);
  }
  return reshape(
    result,
    output.map((_, d) => result.shape[d] as number),
  );
}
