// Runs in the page: start WebGPU through navigator.gpu and train a small MLP on it, and on the
// reference ("cpu") in the same page; the driver compares the two loss curves.

import { getDeviceName, initWebGPU } from "@lockstep/backend-webgpu";
import * as torch from "@lockstep/core";

async function train(device: string, steps: number): Promise<number[]> {
  torch.manualSeed(1);
  const model = new torch.nn.Sequential(new torch.nn.Linear(20, 16), new torch.nn.ReLU(), new torch.nn.Linear(16, 4));
  model.to(device);
  const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const x = torch.randn([8, 20]).to(device);
  const y = torch.randint(0, 4, [8]).to(device);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = torch.tidy(() => {
      opt.zeroGrad();
      const l = torch.nn.functional.crossEntropy(model.forward(x) as torch.Tensor, y);
      l.backward();
      opt.step();
      return l;
    });
    losses.push(Number(await loss.item()));
    loss.dispose();
  }
  return losses;
}

export interface SmokeResult {
  ok: boolean;
  error?: string;
  errorName?: string;
  adapter?: string;
  cpu?: number[];
  webgpu?: number[];
  webgpuMs?: number;
}

async function run(steps: number): Promise<SmokeResult> {
  try {
    const { description } = await initWebGPU({ powerPreference: "low-power" });
    const cpu = await train("cpu", steps);
    const t0 = performance.now();
    const webgpu = await train("webgpu", steps);
    return { ok: true, adapter: description || getDeviceName(), cpu, webgpu, webgpuMs: performance.now() - t0 };
  } catch (e) {
    return { ok: false, error: (e as Error).message, errorName: (e as Error).name };
  }
}

/** Only start WebGPU: what initWebGPU() gives where the browser exposes no adapter. */
async function start(): Promise<{ ok: boolean; errorName?: string; error?: string; isDeviceUnavailable?: boolean }> {
  try {
    await initWebGPU();
    return { ok: true };
  } catch (e) {
    return {
      ok: false,
      errorName: (e as Error).name,
      error: (e as Error).message,
      isDeviceUnavailable: e instanceof torch.DeviceUnavailableError,
    };
  }
}

Object.assign(globalThis, { lockstepSmoke: run, lockstepStart: start });
