import { test, expect } from "@playwright/test";
import { type Locator } from "@playwright/test";
import { createRoom, hydrated, menuButton, openMenu, roomId, sendOverSocket, signUp, uniqueName } from "./helpers";

/** Opens the menu `menu` in `row` and clicks `button` in it; the row is
 * drawn again as the room's details refresh after an action, which closes
 * a menu opened a moment before, so this tries until the button shows. */
async function actOn(row: Locator, menu: string, button: Locator): Promise<void> {
  await expect(async () => {
    await openMenu(row, menu);
    await expect(button).toBeVisible({ timeout: 1000 });
  }).toPass();
  await button.click();
}

test("a listed room is found in Browse rooms and joined from there", async ({ browser }) => {
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signUp(admin, uniqueName("ada"));
  const roomName = uniqueName("Gardeners");
  const link = await createRoom(admin, roomName);

  // Room settings: listed, with a topic, saved; the header shows the topic.
  await openMenu(admin, "Room settings");
  // Ticking a box saves the whole form, the topic typed so far with it.
  await admin.getByLabel("Topic").fill("Seeds, soil and patience");
  await admin.getByLabel("Listed in the directory").check();
  await expect(admin.locator(".room-header .topic")).toHaveText("Seeds, soil and patience");

  const guestContext = await browser.newContext();
  const guest = await guestContext.newPage();
  await signUp(guest, uniqueName("gus"));
  await guest.goto("/rooms");
  await expect(guest.getByRole("heading", { name: "Browse rooms" })).toBeVisible();
  await hydrated(guest);
  const search = guest.getByRole("searchbox", { name: "Search rooms by name" });
  await search.fill(roomName.toUpperCase());
  await search.press("Enter");
  await expect(guest).toHaveURL(/\/rooms\?q=/);
  const listed = guest.getByRole("listitem").filter({ hasText: roomName });
  await expect(listed).toContainText("Seeds, soil and patience");
  await expect(listed).toContainText("1 member");
  await listed.getByRole("button", { name: "Join room" }).click();
  await expect(guest).toHaveURL(link);
  await expect(guest.getByRole("list", { name: "Members" }).getByRole("listitem")).toHaveCount(2);

  for (const c of [adminContext, guestContext]) await c.close();
});

test("ban and mute from the member list; the muted see why, the banned stay out", async ({ browser }) => {
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signUp(admin, uniqueName("ada"));
  const link = await createRoom(admin, "Town hall");

  const people = [];
  for (const prefix of ["mo", "bo"]) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const name = uniqueName(prefix);
    await signUp(page, name);
    await page.goto(link);
    await hydrated(page);
    await page.getByRole("button", { name: "Join room" }).click();
    await expect(page.getByRole("textbox", { name: "Message" })).toBeVisible();
    people.push({ context, page, name });
  }
  const [muted, banned] = people;
  await admin.reload();
  await hydrated(admin);
  const members = admin.getByRole("list", { name: "Members" });
  await expect(members.getByRole("listitem")).toHaveCount(3);

  // Mute for an hour: a line in the conversation, a badge, and the muted
  // person's composer closed with the reason.
  const mutedRow = members.getByRole("listitem").filter({ hasText: muted.name });
  await menuButton(mutedRow, `Actions for ${muted.name}`).click();
  await mutedRow.getByLabel("Mute for").selectOption({ label: "1 hour" });
  await mutedRow.getByRole("button", { name: "Mute", exact: true }).click();
  await expect(admin.getByRole("note")).toContainText(`muted ${muted.name} for 1 hour`);
  await expect(mutedRow.locator(".badge.muted")).toHaveText("muted");
  await expect(muted.page.getByText(/You are muted in this room until/)).toBeVisible();
  await expect(muted.page.getByRole("textbox", { name: "Message" })).toBeDisabled();

  // Unmute: they can write again.
  const unmute = mutedRow.getByRole("button", { name: "Unmute", exact: true });
  await actOn(mutedRow, `Actions for ${muted.name}`, unmute);
  await expect(muted.page.getByRole("textbox", { name: "Message" })).toBeEnabled();

  // Pushed off the first page by later messages, the lines come back with
  // the older messages around them.
  await sendOverSocket(admin, roomId(link), Array.from({ length: 55 }, (_, i) => `later ${i + 1}`));
  await admin.reload();
  await hydrated(admin);
  const muteLine = admin.getByRole("note").filter({ hasText: `muted ${muted.name} for 1 hour` });
  await expect(admin.getByText("later 55", { exact: true })).toBeVisible();
  await expect(muteLine).toHaveCount(0);
  await admin.locator(".messages").evaluate((el) => (el.scrollTop = 0));
  await expect(muteLine).toHaveCount(1);
  await expect(admin.getByRole("note").filter({ hasText: `unmuted ${muted.name}` })).toHaveCount(1);

  // Ban: gone from the members, listed under Banned, and the room's
  // address no longer lets them in.
  // Escape closes the open menu, which lies over the next row.
  await menuButton(mutedRow, `Actions for ${muted.name}`).focus();
  await admin.keyboard.press("Escape");
  const bannedRow = members.getByRole("listitem").filter({ hasText: banned.name });
  await actOn(bannedRow, `Actions for ${banned.name}`, bannedRow.getByRole("button", { name: "Ban", exact: true }));
  await expect(members.getByRole("listitem")).toHaveCount(2);
  const bannedList = admin.getByRole("list", { name: "Banned" });
  await expect(bannedList).toContainText(banned.name);
  await banned.page.goto(link);
  await hydrated(banned.page);
  await banned.page.getByRole("button", { name: "Join room" }).click();
  await expect(banned.page.getByRole("alert")).toContainText("banned");
  await bannedList.getByRole("button", { name: `Unban ${banned.name}` }).click();
  await expect(admin.getByRole("list", { name: "Banned" })).toHaveCount(0);

  await adminContext.close();
  for (const p of people) await p.context.close();
});

test("the admin downloads the room's export; anyone exports their own messages", async ({ page }) => {
  await signUp(page, uniqueName("ada"));
  await createRoom(page, "Archive");
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill("keep this");
  await box.press("Enter");
  await expect(page.getByRole("log").getByText("keep this")).toBeVisible();

  await openMenu(page, "Room settings");
  const roomDownload = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export room" }).click();
  const room = await roomDownload;
  expect(room.suggestedFilename()).toMatch(/^hearth-room-.*\.zip$/);
  const bytes = await (await room.createReadStream()).toArray();
  expect(Buffer.concat(bytes).subarray(0, 2).toString()).toBe("PK");

  await page.goto("/settings");
  const mineDownload = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export my messages" }).click();
  const mine = await mineDownload;
  expect(mine.suggestedFilename()).toMatch(/^hearth-messages-.*\.zip$/);
});
