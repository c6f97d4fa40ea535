import { test, expect } from "@playwright/test";
import { hydrated, signUp, uniqueName } from "./helpers";

for (const [label, viewport] of [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
] as const) {
  test(`the home page offers a room to create and nothing for developers, ${label}`, async ({ browser }) => {
    const ctx = await browser.newContext({ viewport });
    const page = await ctx.newPage();
    await signUp(page, uniqueName("hom"));
    await hydrated(page);
    await expect(page.getByRole("heading", { name: "Create a room" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Create room" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Check server" })).toHaveCount(0);
    await expect(page.getByText(/server/i)).toHaveCount(0);
    await ctx.close();
  });
}
