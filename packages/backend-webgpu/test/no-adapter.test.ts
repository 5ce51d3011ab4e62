// No adapter: initWebGPU() rejects with DeviceUnavailableError (a typed error saying what to do),
// never a crash. A child process gets a Vulkan loader that finds no driver.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("fixtures/no-adapter.ts", import.meta.url));
const pkg = fileURLToPath(new URL("..", import.meta.url));

describe("without an adapter", () => {
  it("initWebGPU rejects with DeviceUnavailableError and isAvailable() is false", () => {
    const r = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", fixture], {
      cwd: pkg,
      encoding: "utf8",
      env: { ...process.env, VK_ICD_FILENAMES: "/nonexistent/no-driver.json", VK_DRIVER_FILES: "/nonexistent/no-driver.json" },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0); // a clean exit: no crash, no unhandled rejection
    const line = r.stdout.trim().split("\n").at(-1) as string;
    const out = JSON.parse(line) as {
      available: boolean;
      deviceCount: number;
      utilityError: string;
      error: { name: string; op: string; message: string; isLockstep: boolean } | null;
    };
    expect(out.available).toBe(false);
    expect(out.deviceCount).toBe(0);
    // the utilities say what is missing rather than returning made-up numbers
    expect(out.utilityError).toMatch(/^DeviceUnavailableError: memoryAllocated: WebGPU is not initialised/);
    expect(out.error).not.toBeNull();
    expect(out.error?.name).toBe("DeviceUnavailableError");
    expect(out.error?.isLockstep).toBe(true);
    expect(out.error?.op).toBe("webgpu");
    expect(out.error?.message).toMatch(/no adapter/);
    expect(out.error?.message).toMatch(/install-webgpu-adapter\.sh/);
    expect(out.error?.message).toMatch(/VK_ICD_FILENAMES/);
  });
});
