// Progress reporting: a live bar on a terminal (plain periodic lines otherwise), quiet, or JSON lines.
import type { Options } from "./options.js";

export interface StepInfo {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  accuracy: number;
  samplesPerSecond: number;
}
export interface EpochInfo {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  seconds: number;
  samplesPerSecond: number;
}

const BAR = 24;
const fmt = (x: number, d = 4) => x.toFixed(d);

export class Progress {
  private lastLine = 0;
  constructor(private readonly mode: Options["mode"]) {}

  event(kind: string, data: Record<string, unknown>): void {
    if (this.mode === "jsonl") process.stdout.write(`${JSON.stringify({ event: kind, ...data })}\n`);
  }

  /** A line about the run's set-up (stderr; in jsonl mode it goes into the start event instead). */
  banner(line: string): void {
    if (this.mode === "bar") process.stderr.write(`${line}\n`);
  }

  step(s: StepInfo): void {
    if (this.mode === "jsonl") {
      this.event("step", { ...s });
      return;
    }
    if (this.mode === "quiet") return;
    const done = Math.round((s.step / s.steps) * BAR);
    const line = `epoch ${s.epoch}/${s.epochs} [${"#".repeat(done)}${".".repeat(BAR - done)}] ${s.step}/${s.steps} loss ${fmt(s.loss)} acc ${fmt(s.accuracy, 3)} ${s.samplesPerSecond.toFixed(0)} samples/s`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
    else if (Date.now() - this.lastLine > 5000 || s.step === s.steps) {
      this.lastLine = Date.now();
      process.stderr.write(`${line}\n`);
    }
  }

  epoch(e: EpochInfo): void {
    if (this.mode === "jsonl") {
      this.event("epoch", { ...e });
      return;
    }
    if (this.mode === "quiet") return;
    if (process.stderr.isTTY) process.stderr.write("\n");
    process.stderr.write(
      `epoch ${e.epoch}: train loss ${fmt(e.trainLoss)} acc ${fmt(e.trainAccuracy)} | test loss ${fmt(e.testLoss)} acc ${fmt(e.testAccuracy)} | ${e.seconds.toFixed(1)} s, ${e.samplesPerSecond.toFixed(0)} samples/s\n`,
    );
  }

  summary(lines: string[], data: Record<string, unknown>): void {
    if (this.mode === "jsonl") {
      this.event("summary", data);
      return;
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  }
}
