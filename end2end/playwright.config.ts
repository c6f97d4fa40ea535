import { defineConfig, devices } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// The config is also loaded by each worker; the main process picks the port
// and the data directory once and the workers inherit them through the env.
if (!process.env.HEARTH_E2E_PORT) {
  process.env.HEARTH_E2E_PORT = execFileSync(process.execPath, [
    "-e",
    "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})",
  ]).toString();
}
if (!process.env.HEARTH_E2E_DATA) {
  process.env.HEARTH_E2E_DATA = mkdtempSync(join(tmpdir(), "hearth-e2e-"));
}
const port = process.env.HEARTH_E2E_PORT;
const baseURL = `http://127.0.0.1:${port}`;
const repo = resolve(__dirname, "..");

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  // One retry, reported as "flaky" in the list: on 2026-12-07 one run in
  // about a dozen served the home page right after sign-up with the
  // non-page policy (`default-src 'none'; sandbox`) instead of the page's
  // nonce policy, so the bundle was blocked and the page never hydrated
  // (trace kept under test-results/ when it happens). 4,000 concurrent
  // logged-in page loads outside the browser did not reproduce it; until
  // it is found, a retry keeps it from hiding every other result.
  retries: 1,
  reporter: "list",
  outputDir: "test-results",
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || "/usr/lib/chromium/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"] } }],
  webServer: {
    command: "target/release/hearth",
    cwd: repo,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      HEARTH_DATA_DIR: process.env.HEARTH_E2E_DATA,
      RUST_LOG: "warn",
      // Every test signs people up from 127.0.0.1; the throttle itself is
      // covered by the integration tests.
      HEARTH_LOGINS_PER_MINUTE: "1000",
      // Tests fill rooms with history quickly; the message rate limit is
      // covered by the integration tests too.
      HEARTH_MESSAGES_PER_SECOND: "1000",
      HEARTH_MESSAGE_BURST: "1000",
    },
  },
});
