import { test, expect, Page } from "@playwright/test";
import { consoleErrors, createRoom, hydrated, signUp, uniqueName } from "./helpers";

// Search (issue 19): from the header's box to the message in its room,
// and the same without JavaScript.

async function send(page: Page, text: string) {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
  await expect(box).toHaveValue("");
  await expect(
    page.getByRole("log", { name: "Messages" }).locator("li.message:not(.pending)").filter({ hasText: text }),
  ).toHaveCount(1);
}

test("search from the header finds part of a word and jumps to it in its room", async ({ page }) => {
  const errors = consoleErrors(page);
  await signUp(page, uniqueName("sea"));
  await createRoom(page, "Launch plans");
  const word = `zephyr${Date.now().toString(36)}`;
  await send(page, `the ${word}deployment went fine`);
  for (let i = 0; i < 60; i++) await send(page, `filler ${i}`);

  const box = page.getByRole("searchbox", { name: "Search messages" });
  await box.fill(`${word.slice(2)}deploy`);
  await box.press("Enter");
  await expect(page).toHaveURL(/\/search\?q=/);
  const results = page.getByRole("list", { name: "Search results" });
  await expect(results.getByRole("listitem")).toHaveCount(1);
  await expect(results.locator("mark")).toHaveText(`${word.slice(2)}deploy`);
  await expect(results).toContainText("Launch plans");
  await expect(page.getByRole("searchbox", { name: "Search messages" })).toHaveValue(`${word.slice(2)}deploy`);

  await results.getByRole("link").click();
  await expect(page).toHaveURL(/\/r\/.+\?at=\d+/);
  await hydrated(page);
  const target = page.getByRole("log", { name: "Messages" }).locator("li.message").filter({ hasText: `${word}deployment` });
  await expect(target).toBeInViewport();
  expect(errors).toEqual([]);
});

test("search works without JavaScript", async ({ browser }) => {
  const withJs = await browser.newPage();
  const name = uniqueName("nojs");
  await signUp(withJs, name);
  await createRoom(withJs, "Quiet room");
  await send(withJs, "a needle in the haystack");
  const state = await withJs.context().storageState();
  await withJs.close();

  const ctx = await browser.newContext({ javaScriptEnabled: false, storageState: state });
  const page = await ctx.newPage();
  await page.goto("/");
  await page.getByRole("searchbox", { name: "Search messages" }).fill("eedl");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/\/search\?q=eedl/);
  const results = page.getByRole("list", { name: "Search results" });
  await expect(results.getByRole("listitem")).toHaveCount(1);
  await expect(results).toContainText("a needle in the haystack");
  await page.goto("/search?q=nothing-like-this-anywhere");
  await expect(page.getByRole("status")).toHaveText("No messages found.");
  await ctx.close();
});
