import { test, expect } from "@playwright/test";

test("the home page is server-rendered before any script runs", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page.getByRole("heading", { name: "Welcome to Hearth" })).toBeVisible();
  await expect(page.locator("body")).not.toHaveAttribute("data-hydrated", "true");
  await context.close();
});

test("the page hydrates without console errors and loads the bundle compressed", async ({ page }) => {
  const problems: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") problems.push(msg.text());
  });
  page.on("pageerror", (err) => problems.push(err.message));
  const wasm = page.waitForResponse((r) => r.url().endsWith("/pkg/hearth.wasm"));

  await page.goto("/");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  // The release build's precompressed copy, not the 1.4 MB file.
  expect((await wasm).headers()["content-encoding"]).toMatch(/^(br|gzip)$/);
  expect(problems).toEqual([]);
});

test("an unknown path gets a clear not-found page with status 404", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});

test("the health check answers", async ({ request }) => {
  const response = await request.get("/healthz");
  expect(response.status()).toBe(200);
});
