// Renders report.html in headless Chromium (Debian's chromium, driven by playwright-core as
// tools/browser-smoke does: the same driver install, outside the pnpm workspace) and says what a
// reader would see: console errors, and how many data points each plot holds.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../..", import.meta.url));
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const DRIVER = `${root}tools/browser-smoke/node_modules/playwright-core/index.mjs`;

/** Why the browser check cannot run here (null: it can). */
export const browserMissing = (): string | null =>
  !existsSync(CHROMIUM)
    ? `no Chromium at ${CHROMIUM}`
    : !existsSync(DRIVER)
      ? "playwright-core is not installed in tools/browser-smoke"
      : null;

export interface Rendered {
  /** Console errors and warnings, and uncaught page errors. */
  problems: string[];
  /** Requests the page made beyond its own document (a self-contained page makes none). */
  requests: string[];
  /** Per line plot: its title and the data points of each series. */
  plots: { title: string; series: { name: string; points: number }[] }[];
  /** Heatmap cells with data. */
  cells: number;
  summary: string[];
}

/** The part of playwright-core's API used here (the driver is no dependency of this package). */
interface Page {
  on(event: "console", f: (m: { type(): string; text(): string }) => void): void;
  on(event: "pageerror", f: (e: Error) => void): void;
  on(event: "request", f: (r: { url(): string }) => void): void;
  setContent(html: string, o: { waitUntil: "load" }): Promise<void>;
  evaluate<T>(expression: string): Promise<T>;
  screenshot(o: { path: string; fullPage: boolean }): Promise<unknown>;
}
interface Driver {
  chromium: {
    launch(o: { executablePath: string; headless: boolean; args: string[] }): Promise<{
      newPage(o: { viewport: { width: number; height: number } }): Promise<Page>;
      close(): Promise<void>;
    }>;
  };
}

/** Runs in the page: what is drawn, not what an attribute claims. */
const INSPECT = `({
  plots: [...document.querySelectorAll("svg.plot")].map((svg) => ({
    title: svg.getAttribute("aria-label") ?? "",
    series: [...svg.querySelectorAll("polyline.series")].map((p) => ({
      name: p.getAttribute("data-series") ?? "",
      points: p.points.numberOfItems,
    })),
  })),
  cells: document.querySelectorAll("svg.heat rect.cell").length,
  summary: [...document.querySelectorAll(".summary li")].map((li) => li.textContent ?? ""),
})`;

export async function renderInChromium(html: string, screenshot?: string): Promise<Rendered> {
  const { chromium } = (await import(/* @vite-ignore */ DRIVER)) as Driver;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // the closed-network flags of DESIGN §6 (playwright gives each launch a fresh profile)
    args: [
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
      "--no-sandbox",
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("request", (r) => {
      if (!r.url().startsWith("data:") && r.url() !== "about:blank") requests.push(r.url());
    });
    await page.setContent(html, { waitUntil: "load" });
    const seen = await page.evaluate<Pick<Rendered, "plots" | "cells" | "summary">>(INSPECT);
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return { problems, requests, ...seen };
  } finally {
    await browser.close();
  }
}
