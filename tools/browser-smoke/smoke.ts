// Browser smoke test: bundles lockstep for a page, opens it in headless Chromium (Debian's
// `chromium`, driven by playwright-core) with WebGPU on its software adapter (SwiftShader), trains
// a small MLP on "webgpu" in the page and checks its losses against the reference's in the same
// page. Exit status: 0 passed, 1 failed, 77 skipped (the reason is printed; never reported as passed).
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { chromium } from "playwright-core";
import type { SmokeResult } from "./page.js";

const STEPS = Number(process.env.SMOKE_STEPS ?? 20);
const TOLERANCE = 1e-5; // float32 rounding: the driver's exp/log differ from the reference by a few ulp
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
function finish(status: "passed" | "failed" | "skipped", detail: Record<string, unknown>): never {
  process.stdout.write(`${JSON.stringify({ status, elapsed: elapsed(), ...detail }, null, 1)}\n`);
  process.exit(status === "passed" ? 0 : status === "failed" ? 1 : 77);
}

if (!existsSync(executablePath))
  finish("skipped", { reason: `no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM)` });

// Core's data modules import node builtins (DataLoader workers, Fashion-MNIST files); the page uses
// neither, so they resolve to stubs that throw if called.
const nodeStubs: esbuild.Plugin = {
  name: "node-builtins-stub",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, namespace: "node-stub" }));
    b.onLoad({ filter: /.*/, namespace: "node-stub" }, (a) => ({
      contents: [
        `const no = (n) => () => { throw new Error(n + " is not available in a browser"); };`,
        ...["existsSync", "readFileSync", "join", "gunzipSync", "createRequire", "pathToFileURL", "Worker"].map(
          (n) => `export const ${n} = no(${JSON.stringify(`${a.path} ${n}`)});`,
        ),
        "export const parentPort = null, workerData = null;",
      ].join("\n"),
    }));
  },
};
const bundle = await esbuild.build({
  entryPoints: [here("page.ts")],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  write: false,
  outfile: "page.js",
  conditions: ["source"],
  plugins: [nodeStubs],
  alias: {
    "@lockstep/core": here("../../packages/core/src/index.ts"),
    "@lockstep/backend-webgpu": here("../../packages/backend-webgpu/src/index.ts"),
  },
  logLevel: "error",
});
const js = bundle.outputFiles[0]?.text ?? "";

// http://127.0.0.1 is a secure context, which navigator.gpu requires.
const server = createServer((req, res) => {
  if (req.url === "/page.js") {
    res.writeHead(200, { "content-type": "text/javascript" }).end(js);
    return;
  }
  res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><script type="module" src="/page.js"></script>`);
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

const flags = [
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
  "--no-sandbox", // CI runs as root
  // (playwright starts every launch with a fresh temporary profile)
];
const console_: string[] = [];
let version = "";

/** Open the page in a fresh headless Chromium started with `args`, and evaluate `fn(arg)` there. */
async function inPage<R>(args: string[], fn: (arg: number) => Promise<R>, arg: number): Promise<R> {
  const browser = await chromium.launch({ executablePath, headless: true, args: [...args, ...flags] });
  try {
    version = browser.version();
    const page = await browser.newPage();
    page.on("console", (m) => console_.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => console_.push(`pageerror: ${e.message}`));
    await page.goto(url);
    await page.waitForFunction(() => "lockstepSmoke" in globalThis, null, { timeout: 60_000 });
    return await page.evaluate(fn, arg);
  } finally {
    await browser.close();
  }
}

interface Started {
  ok: boolean;
  errorName?: string;
  error?: string;
  isDeviceUnavailable?: boolean;
}
let result: SmokeResult;
let withoutFlag: Started = { ok: false };
try {
  result = await inPage(
    [
      "--enable-unsafe-webgpu", // without it the adapter is null on a software rasterizer
      "--enable-webgpu-developer-features", // the adapter's description
    ],
    (steps) => (globalThis as unknown as { lockstepSmoke: (n: number) => Promise<SmokeResult> }).lockstepSmoke(steps),
    STEPS,
  );
  // the same page without the flag: no adapter, which must give DeviceUnavailableError
  withoutFlag = await inPage([], () => (globalThis as unknown as { lockstepStart: () => Promise<Started> }).lockstepStart(), 0);
} catch (e) {
  result = { ok: false, error: `driver: ${(e as Error).message}` };
} finally {
  server.close();
}

// the first messages name the root error (later ones repeat "invalid due to a previous error")
const detail = {
  chromium: version,
  steps: STEPS,
  withoutFlag,
  console:
    console_.length > 12 ? [...console_.slice(0, 8), `... ${console_.length - 12} more ...`, ...console_.slice(-4)] : console_,
};
if (!result.ok) {
  // no adapter is an environment limit (skip); anything else is a failure
  if (result.errorName === "DeviceUnavailableError") finish("skipped", { reason: result.error, ...detail });
  finish("failed", { error: result.error, ...detail });
}
const cpu = result.cpu as number[];
const gpu = result.webgpu as number[];
const worst = Math.max(...cpu.map((c, i) => Math.abs(c - (gpu[i] as number))));
const trained = (cpu.at(-1) as number) < (cpu[0] as number) / 2;
// where Chromium exposes an adapter even without the flag (a real GPU), that check does not apply
const typedNoAdapter =
  withoutFlag.ok ||
  (withoutFlag.isDeviceUnavailable === true && /found no adapter|no navigator\.gpu/.test(withoutFlag.error ?? ""));
const out = {
  adapter: result.adapter,
  webgpuSeconds: (result.webgpuMs ?? 0) / 1000,
  maxLossDiff: worst,
  cpu,
  webgpu: gpu,
  ...detail,
};
if (gpu.length === STEPS && worst < TOLERANCE && trained && typedNoAdapter) finish("passed", out);
finish("failed", {
  reason: !typedNoAdapter
    ? "without --enable-unsafe-webgpu, initWebGPU() did not reject with DeviceUnavailableError"
    : trained
      ? `losses differ by ${worst} (tolerance ${TOLERANCE})`
      : "the reference did not train",
  ...out,
});
