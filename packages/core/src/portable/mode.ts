// torch.usePortableNumerics: every backend computes transcendental functions with lockstep's own
// implementations (./math.ts), so that results are bitwise equal across backends. Applied where
// kernels reach a backend (storage.ts wraps each registered backend), so no backend can forget it.
import type { Backend, ReduceKernel } from "../backend.js";
import { expandPortable } from "./math.js";

let enabled = false;

export function usePortableNumerics(on: boolean): void {
  enabled = on;
}
export const isPortableNumericsEnabled = (): boolean => enabled;

/** A view of `b` whose elementwise and reduce kernels are expanded while portable mode is on. */
export function withPortableNumerics(b: Backend): Backend {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(b, {
    get(target, prop) {
      if (prop === "elementwise")
        return (
          e: Parameters<Backend["elementwise"]>[0],
          out: Parameters<Backend["elementwise"]>[1],
          ins: Parameters<Backend["elementwise"]>[2],
        ) => target.elementwise(enabled ? expandPortable(e) : e, out, ins);
      if (prop === "reduce")
        return (
          k: ReduceKernel,
          out: Parameters<Backend["reduce"]>[1],
          input: Parameters<Backend["reduce"]>[2],
          nReduced: number,
        ) =>
          target.reduce(
            enabled ? { op: k.op, map: expandPortable(k.map), post: expandPortable(k.post) } : k,
            out,
            input,
            nReduced,
          );
      const v = Reflect.get(target, prop, target);
      if (typeof v !== "function") return v;
      let f = bound.get(prop);
      if (!f) bound.set(prop, (f = v.bind(target)));
      return f;
    },
  });
}
