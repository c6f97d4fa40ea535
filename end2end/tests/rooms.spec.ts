import { test, expect } from "@playwright/test";
import { hydrated, menuButton, openMenu, signUp, uniqueName } from "./helpers";

test("create a room, share its link, a second person joins, the admin removes them", async ({ browser }) => {
  const adminContext = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  const admin = await adminContext.newPage();
  const adminName = uniqueName("ada");
  await signUp(admin, adminName);

  await admin.getByLabel("Room name").fill("Book club");
  await admin.getByRole("button", { name: "Create room" }).click();
  await expect(admin).toHaveURL(/\/r\/[A-Za-z0-9_-]{22}$/);
  await expect(admin.getByRole("heading", { name: "Book club" })).toBeVisible();
  const members = admin.getByRole("list", { name: "Members" });
  await expect(members.getByRole("listitem")).toHaveCount(1);
  await expect(members).toContainText(adminName);
  await expect(members).toContainText("admin");
  await expect(admin.getByRole("navigation", { name: "Rooms" }).getByRole("link", { name: /Book club/ })).toBeVisible();

  await hydrated(admin);
  await admin.getByRole("button", { name: "Copy link" }).click();
  await expect(admin.getByText("Link copied")).toBeVisible();
  const link = await admin.evaluate(() => navigator.clipboard.readText());
  expect(link).toBe(admin.url());

  // A second person, logged out, opens the link: log in (here: sign up) first.
  const guestContext = await browser.newContext();
  const guest = await guestContext.newPage();
  const guestName = uniqueName("gus");
  await signUp(guest, guestName);
  await guest.goto(link);
  await expect(guest.getByRole("heading", { name: "Book club" })).toBeVisible();
  await expect(guest.getByText("1 member", { exact: true })).toBeVisible();
  await expect(guest.getByRole("list", { name: "Members" })).toHaveCount(0);
  await hydrated(guest);
  await guest.getByRole("button", { name: "Join room" }).click();
  await expect(guest.getByRole("list", { name: "Members" }).getByRole("listitem")).toHaveCount(2);
  // Only the admin has a menu on each other member's row.
  await expect(menuButton(guest, `Actions for ${adminName}`)).toHaveCount(0);
  await expect(guest.getByRole("button", { name: "Ban", exact: true })).toHaveCount(0);

  // The admin sees the newcomer and removes them.
  await admin.reload();
  await hydrated(admin);
  await expect(members.getByRole("listitem")).toHaveCount(2);
  await menuButton(admin, `Actions for ${guestName}`).click();
  await admin.getByRole("button", { name: "Ban", exact: true }).click();
  await expect(members.getByRole("listitem")).toHaveCount(1);

  // The removed person is back to the preview.
  await guest.reload();
  await expect(guest.getByRole("button", { name: "Join room" })).toBeVisible();
  await expect(guest.getByRole("list", { name: "Members" })).toHaveCount(0);

  await adminContext.close();
  await guestContext.close();
});

test("a logged-out visitor is sent to log in and back to the room", async ({ browser, page }) => {
  const owner = uniqueName("olly");
  await signUp(page, owner);
  await page.getByLabel("Room name").fill("Garden");
  await page.getByRole("button", { name: "Create room" }).click();
  await expect(page).toHaveURL(/\/r\//);
  const link = page.url();

  const visitorName = uniqueName("val");
  const setup = await browser.newContext();
  const setupPage = await setup.newPage();
  await signUp(setupPage, visitorName);
  await setup.close();

  const context = await browser.newContext();
  const visitor = await context.newPage();
  await visitor.goto(link);
  await expect(visitor).toHaveURL(/\/login\?next=/);
  await hydrated(visitor);
  await visitor.getByLabel("Username").fill(visitorName);
  await visitor.getByLabel("Password").fill("password123");
  await visitor.getByRole("button", { name: "Log in" }).click();
  await expect(visitor).toHaveURL(link);
  await expect(visitor.getByRole("button", { name: "Join room" })).toBeVisible();
  await context.close();
});

test("the admin renames and deletes a room; its link then says not found", async ({ page }) => {
  await signUp(page, uniqueName("rita"));
  await page.getByLabel("Room name").fill("Old name");
  await page.getByRole("button", { name: "Create room" }).click();
  await expect(page).toHaveURL(/\/r\//);
  const link = page.url();
  await hydrated(page);
  await openMenu(page, "Room settings");
  await page.getByLabel("New room name").fill("New name");
  await page.getByRole("button", { name: "Rename room" }).click();
  await expect(page.getByRole("heading", { name: "New name" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Rooms" })).toContainText("New name");

  await openMenu(page, "Room settings");
  await menuButton(page, "Delete room").click();
  await page.getByRole("button", { name: "Yes, delete room" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("navigation", { name: "Rooms" })).not.toContainText("New name");
  const response = await page.goto(link);
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Room not found" })).toBeVisible();
});
