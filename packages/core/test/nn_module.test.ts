// nn.Module basics: registration by assignment, traversal, state dicts, hooks, modes, printout.

import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";

const { nn } = torch;

class Affine extends nn.Module {
  weight = new nn.Parameter(
    torch.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: "float32" },
    ),
  );
  bias = new nn.Parameter(torch.tensor([0.5, -0.5], { dtype: "float32" }));
  constructor() {
    super();
    this.registerBuffer("calls", torch.zeros([1]));
    this.registerBuffer("scratch", torch.zeros([2]), false);
  }
  override forward(x: torch.Tensor): torch.Tensor {
    return x.matmul(this.weight.t()).add(this.bias);
  }
  override extraRepr(): string {
    return "in_features=2, out_features=2";
  }
}

class Net extends nn.Module {
  a = new Affine();
  act = new ReLU();
  b = new Affine();
  override forward(x: torch.Tensor): torch.Tensor {
    return this.b.forward(this.act.forward(this.a.forward(x)));
  }
}
class ReLU extends nn.Module {
  override forward(x: torch.Tensor): torch.Tensor {
    return x.relu();
  }
}

describe("nn.Module", () => {
  it("registers parameters, buffers and submodules by assignment, in order", () => {
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual(["a.weight", "a.bias", "b.weight", "b.bias"]);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(["a.calls", "a.scratch", "b.calls", "b.scratch"]);
    expect(net.namedChildren().map(([n]) => n)).toEqual(["a", "act", "b"]);
    expect(net.modules().length).toBe(4);
    expect(net.parameters()[0]).toBeInstanceOf(nn.Parameter);
    expect(torch.zeros([1])).not.toBeInstanceOf(nn.Parameter);
  });

  it("stateDict holds parameters and persistent buffers; loadStateDict copies and checks keys", () => {
    const net = new Net();
    const sd = net.stateDict();
    expect(Object.keys(sd)).toEqual(["a.weight", "a.bias", "a.calls", "b.weight", "b.bias", "b.calls"]);
    expect(sd["a.weight"]?.requiresGrad).toBe(false);
    const other = new Net();
    torch.noGrad(() => other.a.weight.mul_(2));
    net.loadStateDict(other.stateDict());
    expect(Array.from(net.a.weight.dataSync() as Float32Array)).toEqual([2, 4, 6, 8]);
    const partial = { ...other.stateDict(), extra: torch.zeros([1]) } as Record<string, torch.Tensor>;
    delete partial["b.bias"];
    expect(() => net.loadStateDict(partial)).toThrow(
      /Missing key\(s\) in state_dict: "b.bias"[\s\S]*Unexpected key\(s\) in state_dict: "extra"/,
    );
    expect(net.loadStateDict(partial, false)).toEqual({ missingKeys: ["b.bias"], unexpectedKeys: ["extra"] });
    const wrong = { ...other.stateDict(), "a.bias": torch.zeros([3]) };
    expect(() => net.loadStateDict(wrong)).toThrow(/size mismatch for a.bias/);
  });

  it("forward goes through hooks; train/eval and zeroGrad", () => {
    const net = new Net();
    const seen: string[] = [];
    const h = net.a.registerForwardHook((_m, _i, out) => {
      seen.push("a");
      return (out as torch.Tensor).mul(0);
    });
    const y = net.forward(torch.tensor([[1, 1]], { dtype: "float32" })) as torch.Tensor;
    expect(seen).toEqual(["a"]);
    expect(Array.from(y.dataSync() as Float32Array)).toEqual([0.5, -0.5]); // b(relu(0)) = bias
    h.remove();
    const y2 = net.forward(torch.tensor([[1, 1]], { dtype: "float32" })) as torch.Tensor;
    y2.sum().backward();
    expect(net.a.weight.grad).not.toBeNull();
    net.zeroGrad();
    expect(Array.from(net.a.weight.grad?.dataSync() as Float32Array)).toEqual([0, 0, 0, 0]);
    net.zeroGrad({ setToNone: true });
    expect(net.a.weight.grad).toBeNull();
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.b.training).toBe(true);
  });

  it("prints like PyTorch", () => {
    const seq = new nn.Sequential(new Affine(), new ReLU());
    expect(String(seq)).toBe("Sequential(\n  (0): Affine(in_features=2, out_features=2)\n  (1): ReLU()\n)");
    expect(String(new Net())).toBe(
      "Net(\n  (a): Affine(in_features=2, out_features=2)\n  (act): ReLU()\n  (b): Affine(in_features=2, out_features=2)\n)",
    );
  });

  it("containers index, iterate and register", () => {
    const list = new nn.ModuleList([new ReLU(), new Affine()]);
    expect(list.length).toBe(2);
    expect(list.at(-1)).toBeInstanceOf(Affine);
    expect(list.parameters().length).toBe(2);
    const dict = new nn.ModuleDict({ act: new ReLU() });
    expect(dict.keys()).toEqual(["act"]);
    const plist = new nn.ParameterList([torch.zeros([2]), torch.ones([3])]);
    expect(plist.parameters().map((p) => p.shape)).toEqual([[2], [3]]);
    const seq = new nn.Sequential({ first: new Affine(), second: new ReLU() });
    expect(seq.namedChildren().map(([n]) => n)).toEqual(["first", "second"]);
    const out = seq.forward(torch.tensor([[1, 0]], { dtype: "float32" })) as torch.Tensor;
    expect(Array.from(out.dataSync() as Float32Array)).toEqual([1.5, 2.5]);
  });

  it("to(dtype) casts floating parameters and keeps them registered", () => {
    const net = new Net().to("float64");
    expect(net.parameters().every((p) => p.dtype === "float64" && p instanceof nn.Parameter)).toBe(true);
    expect(net.a.weight.dtype).toBe("float64");
  });
});
