// lockstep's main job: `pnpm --filter @lockstep/fashion-mnist start -- --model cnn --epochs 3`.
import { parseOptions, USAGE } from "./options.js";
import { train } from "./train.js";

async function main(): Promise<void> {
  let opts: ReturnType<typeof parseOptions>;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (opts === "help") {
    process.stdout.write(USAGE);
    return;
  }
  // Ctrl-C stops after the current step; with --checkpoint the run is saved there and --resume
  // continues it with the same bits. A second Ctrl-C exits at once.
  const stop = new AbortController();
  process.once("SIGINT", () => {
    process.stderr.write("\nstopping after this step (Ctrl-C again to quit now)\n");
    stop.abort();
    process.once("SIGINT", () => process.exit(130));
  });
  await train(opts, { signal: stop.signal });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
