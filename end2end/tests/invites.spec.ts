import { test, expect } from "@playwright/test";
import { createRoom, hydrated, openMenu, signUp, uniqueName } from "./helpers";

test("an invite link joins a second browser; once revoked it turns a third away", async ({ browser }) => {
  const adminContext = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  const admin = await adminContext.newPage();
  await signUp(admin, uniqueName("ada"));
  const link = await createRoom(admin, "Book club");

  // Room settings: make the room invite-only, then an invite of 5 uses for a day.
  await openMenu(admin, "Room settings");
  const inviteOnly = admin.getByLabel("Invite only");
  await expect(inviteOnly).not.toBeChecked();
  await inviteOnly.check();
  await expect(inviteOnly).toBeChecked();
  await admin.getByLabel("Expires after").selectOption({ label: "1 day" });
  await admin.getByLabel("Max uses").selectOption({ label: "5" });
  await admin.getByRole("button", { name: "Create invite link" }).click();
  const invites = admin.getByRole("list", { name: "Invites" });
  await expect(invites.getByRole("listitem")).toHaveCount(1);
  await expect(invites).toContainText("0 of 5 uses · expires in 24 hours");
  const invite = await invites.getByRole("link").getAttribute("href");
  expect(invite).toMatch(/^\/i\/[A-Za-z0-9_-]{22}$/);
  const row = invites.getByRole("listitem").filter({ hasText: invite! });
  await row.getByRole("button", { name: "Copy", exact: true }).click();
  await expect(row.getByRole("button", { name: "Copied", exact: true })).toBeVisible();
  const copied = await admin.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(new URL(invite!, admin.url()).href);

  // The room's own address lets nobody in now.
  const guestContext = await browser.newContext();
  const guest = await guestContext.newPage();
  await signUp(guest, uniqueName("gus"));
  await guest.goto(link);
  await expect(guest.getByText("This room is invite-only.")).toBeVisible();
  await expect(guest.getByRole("button", { name: "Join room" })).toHaveCount(0);

  // The invite does.
  await guest.goto(invite!);
  await expect(guest.getByRole("heading", { name: "Book club" })).toBeVisible();
  await hydrated(guest);
  await guest.getByRole("button", { name: "Join room" }).click();
  await expect(guest).toHaveURL(link);
  await expect(guest.getByRole("list", { name: "Members" }).getByRole("listitem")).toHaveCount(2);

  // The admin's list counts the use as it happens, then the admin revokes it.
  await expect(invites).toContainText("1 of 5 uses");
  await row.getByRole("button", { name: "Revoke", exact: true }).click();
  await expect(invites).toHaveCount(0);
  await expect(admin.getByText("No invite links yet.")).toBeVisible();

  // A third browser holding the link is told why it no longer works.
  const lateContext = await browser.newContext();
  const late = await lateContext.newPage();
  await signUp(late, uniqueName("lou"));
  await late.goto(invite!);
  await expect(late.getByText("This invite link was revoked.")).toBeVisible();
  await expect(late.getByRole("button", { name: "Join room" })).toHaveCount(0);

  for (const c of [adminContext, guestContext, lateContext]) await c.close();
});
