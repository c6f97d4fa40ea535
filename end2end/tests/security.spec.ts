import { test, expect, Page } from "@playwright/test";
import { consoleErrors, createRoom, hydrated, signUp, uniqueName } from "./helpers";

/** Records every Content-Security-Policy violation the page reports. */
async function watchPolicy(page: Page) {
  await page.addInitScript(() => {
    (window as any).__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      (window as any).__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
}

async function violations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as any).__violations);
}

test("pages hydrate and chat under the Content-Security-Policy", async ({ page }) => {
  await watchPolicy(page);
  const errors = consoleErrors(page);
  await page.goto("/");
  await hydrated(page);
  expect(await violations(page)).toEqual([]);
  await signUp(page, uniqueName("csp"));
  await createRoom(page, "Policy");
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill("under policy");
  await box.press("Enter");
  await expect(page.getByRole("log", { name: "Messages" })).toContainText("under policy");
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("log", { name: "Messages" }).locator("li.message:not(.pending)")).toHaveCount(1);
  expect(await violations(page)).toEqual([]);
  expect(errors).toEqual([]);
});

test("an injected inline script is blocked by the policy", async ({ page }) => {
  await watchPolicy(page);
  await page.goto("/");
  await hydrated(page);
  await page.evaluate(() => {
    const s = document.createElement("script");
    s.textContent = "window.__ran = true";
    document.body.appendChild(s);
  });
  expect(await page.evaluate(() => (window as any).__ran)).toBeUndefined();
  await expect.poll(() => violations(page)).toContainEqual(expect.stringContaining("script-src"));
});
