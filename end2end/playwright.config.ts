import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// A throw-away data directory per run, so the tests never touch ./data.
const dataDir = mkdtempSync(join(tmpdir(), "mixtape-e2e-"));
const port = Number(process.env.MIXTAPE_E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
// SQLite in the data directory unless a database is named (scripts/test.sh runs on PostgreSQL too).
const database = process.env.MIXTAPE_E2E_DATABASE_URL
  ? ` --database-url ${process.env.MIXTAPE_E2E_DATABASE_URL}`
  : "";

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        browserName: "chromium",
        launchOptions: {
          // Debian's Chromium: Playwright never downloads a browser here.
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
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
    },
  ],
  // The server built by `cargo leptos build`; the runner waits for /healthz before the first test.
  webServer: {
    command: `../target/debug/mixtape --insecure-cookies --listen 127.0.0.1:${port} --data-dir ${dataDir} --models-dir ../models --site-root ../target/site${database}`,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
