import { test, expect } from "@playwright/test";
import { hydrated, png, signUp, uniqueName } from "./helpers";

test("sign up, log out, log in again", async ({ page }) => {
  const name = uniqueName("ann");
  await signUp(page, name);
  await expect(page.getByRole("link", { name: new RegExp(name) })).toBeVisible();

  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("button", { name: "Log out" })).toHaveCount(0);

  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill("wrong password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong username or password.");

  await page.getByLabel("Password").fill("password123");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("button", { name: "Log out" })).toBeVisible();
});

test("a taken name is refused with a message", async ({ page, browser }) => {
  const name = uniqueName("ben");
  await signUp(page, name);
  const other = await browser.newPage();
  await other.goto("/signup");
  await hydrated(other);
  await other.getByLabel("Username").fill(name.toUpperCase());
  await other.getByLabel("Password").fill("password123");
  await other.getByRole("button", { name: "Sign up" }).click();
  await expect(other.getByRole("alert")).toContainText("is taken");
  await other.close();
});

test("logging in returns to the page that asked for it", async ({ page }) => {
  const name = uniqueName("cat");
  await signUp(page, name);
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/settings");
  await expect(page).toHaveURL(/\/login\?next=\/settings$/);
  await hydrated(page);
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill("password123");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
});

test("sign-up and log-in work with JavaScript off", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const name = uniqueName("dan");
  await page.goto("/signup");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill("password123");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("button", { name: "Log out" })).toBeVisible();

  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong username or password.");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill("password123");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("button", { name: "Log out" })).toBeVisible();
  await context.close();
});

test("changing the profile picture", async ({ page }) => {
  const name = uniqueName("eve");
  await signUp(page, name);
  await page.goto("/settings");
  await hydrated(page);
  const initials = page.locator(".current-avatar .avatar.initials");
  await expect(initials).toHaveAttribute("role", "img");
  await expect(initials).toHaveAttribute("aria-label", name);
  await expect(initials).toHaveText(name[0].toUpperCase());
  await expect(initials).toHaveClass(/\bhue-\d+\b/);
  const current = page.locator(".current-avatar img");

  await page.getByLabel("Profile picture").setInputFiles({ name: "notes.png", mimeType: "image/png", buffer: Buffer.from("not a picture") });
  await page.getByRole("button", { name: "Save picture" }).click();
  await expect(page.getByRole("alert")).toContainText("PNG, JPEG, WebP or GIF");

  await page.getByLabel("Profile picture").setInputFiles({ name: "me.png", mimeType: "image/png", buffer: png(300, 200) });
  await page.getByRole("button", { name: "Save picture" }).click();
  await expect(page.getByText("Picture saved.")).toBeVisible();
  await expect(current).toHaveAttribute("alt", name);
  await expect(current).toHaveAttribute("src", /^\/media\/avatars\/[A-Za-z0-9_-]{22}\.png$/);
  await expect(initials).toHaveCount(0);
  await expect.poll(() => current.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(256);
  await expect(page.getByRole("alert")).toHaveCount(0);
});
