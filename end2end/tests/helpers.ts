import { expect, Page } from "@playwright/test";

let counter = 0;

/** A username unique to this run, so tests never collide. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`.slice(0, 32);
}

/** Waits until the WASM has hydrated the page. */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

/** Signs a new person up through the form and waits for the home page. */
export async function signUp(page: Page, name: string, password = "password123"): Promise<void> {
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("button", { name: "Log out" })).toBeVisible();
}
