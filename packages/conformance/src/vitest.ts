// describeBackends: register one vitest suite per backend in the registry. A backend that cannot
// start becomes a skipped suite whose name carries the reason — never a passing one.
// Usage (top-level await in a test file): await describeBackends("ops", (b) => { it(...) }).
import { describe, it } from "vitest";
import { backendNames, startBackend } from "./backends.js";
import type { StartedStatus } from "./runner.js";

export async function describeBackends(
  title: string,
  body: (b: StartedStatus) => void,
  opts: { backends?: string[] } = {},
): Promise<void> {
  for (const name of opts.backends ?? backendNames()) {
    const s = await startBackend(name);
    if (!s.ok) {
      describe.skip(`${title} on ${name} — skipped: ${s.reason}`, () => {
        it(`${name} could not start`, () => {});
      });
      continue;
    }
    describe(`${title} on ${name} (${s.description})`, () => body(s));
  }
}

/** Cases per spec in the vitest suites (the CLI defaults to 4× more); CONFORMANCE_RUNS overrides. */
export const VITEST_RUNS = Number(process.env.CONFORMANCE_RUNS ?? 25);
