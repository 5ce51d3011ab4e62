// The browser smoke test (tools/browser-smoke/smoke.ts) run from this suite: trains a small model
// on WebGPU in headless Chromium. Skipped, with the reason, where Chromium or the driver's npm
// dependencies are not installed (`bash tools/browser-smoke.sh --install-only` installs both).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const chromium = process.env.CHROMIUM ?? "/usr/bin/chromium";
const missing = !existsSync(chromium)
  ? `no Chromium at ${chromium}`
  : !existsSync(`${root}tools/browser-smoke/node_modules/playwright-core`)
    ? "playwright-core is not installed"
    : null;
const why = missing ? `skipped: ${missing} (bash tools/browser-smoke.sh --install-only installs it)` : "headless Chromium";

describe(`browser smoke (${why})`, () => {
  it.skipIf(missing !== null)("a page trains an MLP on navigator.gpu within float32 rounding of the reference", (ctx) => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "tools/browser-smoke/smoke.ts"], {
      cwd: root,
      encoding: "utf8",
      timeout: 110_000,
    });
    const report = JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))) as { status: string; reason?: string; error?: string };
    // an adapter that Chromium cannot expose here is an environment limit: reported as skipped
    if (r.status === 77) ctx.skip(`skipped: ${report.reason}`);
    expect(report.error ?? report.reason, r.stderr).toBeUndefined();
    expect(report.status).toBe("passed");
    expect(r.status).toBe(0);
  });
});
