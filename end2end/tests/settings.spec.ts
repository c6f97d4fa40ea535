import { test, expect, Browser, BrowserContext, Page } from "@playwright/test";
import { consoleErrors, createRoom, hydrated, roomId, sendOverSocket, signUp, uniqueName } from "./helpers";

const widths = [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
] as const;

type Viewport = (typeof widths)[number][1];

/** A new browser (its own cookies: another session) at `viewport`. */
async function browserAt(browser: Browser, viewport: Viewport, javaScriptEnabled = true): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport, javaScriptEnabled });
  return { ctx, page: await ctx.newPage() };
}

/** Logs `name` in through the form: another session of the same person. */
async function logIn(page: Page, name: string, password = "password123"): Promise<void> {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/$/);
}

/** Is this browser logged out? The home page then offers to log in. */
async function loggedOut(page: Page): Promise<void> {
  await page.goto("/");
  await expect(page.getByRole("link", { name: "Log in", exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "Log out" })).toHaveCount(0);
}

function sessions(page: Page) {
  return page.getByRole("list", { name: "Sessions" });
}

async function noSidewaysScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

for (const [label, viewport] of widths) {
  test(`changing the password logs out everywhere else, ${label}`, async ({ browser }) => {
    const name = uniqueName("pia");
    const { ctx, page } = await browserAt(browser, viewport);
    const errors = consoleErrors(page);
    await signUp(page, name);
    const other = await browserAt(browser, viewport);
    await logIn(other.page, name);

    await page.goto("/settings");
    await hydrated(page);
    await expect(sessions(page).getByRole("listitem")).toHaveCount(2);
    await noSidewaysScroll(page);

    await page.getByLabel("Current password").fill("not my password");
    await page.getByLabel("New password").fill("a new password");
    await page.getByRole("button", { name: "Change password" }).click();
    await expect(page.getByRole("alert")).toHaveText("That is not your password. Type the password you log in with.");
    // The browser logs the refusal's 403 itself; nothing else may fail.
    errors.length = 0;

    await page.getByLabel("Current password").fill("password123");
    await page.getByLabel("New password").fill("a new password");
    await page.getByRole("button", { name: "Change password" }).click();
    await expect(page.getByRole("status")).toHaveText("Password changed. 1 other session was logged out.");
    await expect(page.getByLabel("Current password")).toHaveValue("");
    await expect(page.getByRole("alert")).toHaveCount(0);
    await expect(sessions(page).getByRole("listitem")).toHaveCount(1);
    await page.screenshot({ path: `test-results/settings-${label}.png`, fullPage: true });

    await loggedOut(other.page);
    await logIn(other.page, name, "a new password");
    expect(errors).toEqual([]);
    await other.ctx.close();
    await ctx.close();
  });

  test(`the sessions list logs out one session or all others, ${label}`, async ({ browser }) => {
    const name = uniqueName("sal");
    const { ctx, page } = await browserAt(browser, viewport);
    await signUp(page, name);
    const second = await browserAt(browser, viewport);
    await logIn(second.page, name);
    const third = await browserAt(browser, viewport);
    await logIn(third.page, name);

    await page.goto("/settings");
    await hydrated(page);
    const list = sessions(page);
    await expect(list.getByRole("listitem")).toHaveCount(3);
    const current = list.getByRole("listitem").filter({ hasText: "This device" });
    await expect(current).toHaveCount(1);
    await expect(list.getByRole("listitem").first()).toContainText("This device");
    for (const item of await list.getByRole("listitem").all()) {
      await expect(item).toContainText("Chrome on");
      await expect(item).toContainText("Last used");
      await expect(item.getByRole("button", { name: "Log out" })).toBeVisible();
    }
    await noSidewaysScroll(page);

    await list.getByRole("listitem").nth(1).getByRole("button", { name: "Log out" }).click();
    await expect(page.getByRole("status")).toHaveText("That session is logged out.");
    await expect(list.getByRole("listitem")).toHaveCount(2);

    await page.getByRole("button", { name: "Log out everywhere else" }).click();
    await expect(page.getByRole("status")).toHaveText("1 other session was logged out.");
    await expect(list.getByRole("listitem")).toHaveCount(1);
    await expect(current).toHaveCount(1);

    await loggedOut(second.page);
    await loggedOut(third.page);
    await page.goto("/settings");
    await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();

    // This session's own Log out logs this browser out.
    await hydrated(page);
    await current.getByRole("button", { name: "Log out" }).click();
    await expect(page).toHaveURL(/\/login$/);
    await loggedOut(page);
    await second.ctx.close();
    await third.ctx.close();
    await ctx.close();
  });

  for (const choice of ["keep", "remove"] as const) {
    test(`deleting the account, messages ${choice === "keep" ? "kept" : "removed"}, ${label}`, async ({ browser }) => {
      const name = uniqueName("del");
      const { ctx, page } = await browserAt(browser, viewport);
      await signUp(page, name);
      const link = await createRoom(page, "Farewell");
      await sendOverSocket(page, roomId(link), ["Goodbye, everyone"]);
      const friend = await browserAt(browser, viewport);
      const friendName = uniqueName("fay");
      await signUp(friend.page, friendName);
      await friend.page.goto(link);
      await hydrated(friend.page);
      await friend.page.getByRole("button", { name: "Join room" }).click();
      await expect(friend.page.getByRole("textbox", { name: "Message" })).toBeVisible();

      await page.goto("/settings");
      await hydrated(page);
      await expect(page.getByText("the role passes to the member who has been there longest")).toBeVisible();
      await expect(page.getByRole("button", { name: "Delete my account" })).toHaveCount(0);
      await page.getByRole("button", { name: "Delete account" }).click();
      // The second step, in the page.
      const confirm = page.getByRole("group", { name: "Delete your account for good?" });
      await expect(confirm).toBeVisible();
      await confirm.getByRole("link", { name: "Cancel" }).click();
      await expect(confirm).toHaveCount(0);
      await page.getByRole("button", { name: "Delete account" }).click();

      await noSidewaysScroll(page);
      await confirm.screenshot({ path: `test-results/delete-account-${label}.png` });
      await confirm.getByLabel(choice === "keep" ? /Keep them/ : /Remove them/).check();
      await confirm.getByLabel("Your password").fill("wrong password");
      await confirm.getByRole("button", { name: "Delete my account" }).click();
      await expect(confirm.getByRole("alert")).toHaveText("That is not your password. Type the password you log in with.");
      await confirm.getByLabel("Your password").fill("password123");
      await confirm.getByRole("button", { name: "Delete my account" }).click();
      await expect(page).toHaveURL(/\/$/);
      await expect(page.getByRole("link", { name: "Log in", exact: true })).toBeVisible();

      // The friend now runs the room alone; the message is the deleted user's.
      const res = await friend.page.request.post("/api/room", { form: { room: roomId(link) } });
      const room = (await res.json()).Member;
      expect(room.members.map((m: { user: { name: string } }) => m.user.name)).toEqual([friendName]);
      expect(room.admin_id).toBe(room.members[0].user.id);
      await friend.page.reload();
      await hydrated(friend.page);
      const message = friend.page.getByRole("log", { name: "Messages" }).locator("li.message").first();
      await expect(message).toContainText("deleted user");
      await expect(message).not.toContainText(name);
      await expect(message).toContainText(choice === "keep" ? "Goodbye, everyone" : "Message deleted");

      // The name is free again.
      await signUp(page, name);
      await friend.ctx.close();
      await ctx.close();
    });
  }

  test(`account settings work without JavaScript, ${label}`, async ({ browser }) => {
    const name = uniqueName("nojs");
    const js = await browserAt(browser, viewport);
    await signUp(js.page, name);
    const { ctx, page } = await browserAt(browser, viewport, false);
    await page.goto("/login");
    await page.getByLabel("Username").fill(name);
    await page.getByLabel("Password").fill("password123");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page).toHaveURL(/\/$/);

    await page.goto("/settings");
    await page.getByLabel("Current password").fill("wrong password");
    await page.getByLabel("New password").fill("a new password");
    await page.getByRole("button", { name: "Change password" }).click();
    await expect(page.getByRole("alert")).toHaveText("That is not your password. Type the password you log in with.");
    await page.getByLabel("Current password").fill("password123");
    await page.getByLabel("New password").fill("a new password");
    await page.getByRole("button", { name: "Change password" }).click();
    await expect(page).toHaveURL(/\/settings\?done=password$/);
    await expect(page.getByRole("status")).toHaveText("Password changed. You are logged out everywhere else.");
    await expect(sessions(page).getByRole("listitem")).toHaveCount(1);
    await loggedOut(js.page);

    await logIn(js.page, name, "a new password");
    await page.goto("/settings");
    await expect(sessions(page).getByRole("listitem")).toHaveCount(2);
    await sessions(page).getByRole("listitem").nth(1).getByRole("button", { name: "Log out" }).click();
    await expect(page.getByRole("status")).toHaveText("That session is logged out.");
    await expect(sessions(page).getByRole("listitem")).toHaveCount(1);
    await loggedOut(js.page);

    await page.getByRole("button", { name: "Delete account" }).click();
    await expect(page).toHaveURL(/step=delete/);
    await page.getByLabel(/Remove them/).check();
    await page.getByLabel("Your password").fill("a new password");
    await page.getByRole("button", { name: "Delete my account" }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole("link", { name: "Log in", exact: true })).toBeVisible();
    await js.ctx.close();
    await ctx.close();
  });
}
