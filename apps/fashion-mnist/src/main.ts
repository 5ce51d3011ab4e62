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
  await train(opts);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
