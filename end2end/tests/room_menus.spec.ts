import { test, expect, Browser, Page } from "@playwright/test";
import { createRoom, hydrated, joinRoom, menuButton, openMenu, signUp, uniqueName } from "./helpers";

const widths = [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
] as const;

type Viewport = { width: number; height: number };

async function noSidewaysScroll(page: Page) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
}

/** An admin and a member in one room, both at `viewport`. */
async function room(browser: Browser, viewport: Viewport) {
  const adminCtx = await browser.newContext({ viewport });
  const admin = await adminCtx.newPage();
  const adminName = uniqueName("adm");
  await signUp(admin, adminName);
  const link = await createRoom(admin, "Menus");
  const memberCtx = await browser.newContext({ viewport });
  const member = await memberCtx.newPage();
  const memberName = uniqueName("mem");
  await signUp(member, memberName);
  await joinRoom(member, link);
  await admin.reload();
  await hydrated(admin);
  return {
    admin,
    adminName,
    adminCtx,
    member,
    memberName,
    link,
    close: async () => {
      await adminCtx.close();
      await memberCtx.close();
    },
  };
}

/** The `Members` list, opened first on a narrow screen. */
async function membersOf(page: Page, label: string) {
  if (label === "phone") await page.getByRole("button", { name: "Members" }).click();
  const members = page.getByRole("list", { name: "Members" });
  await expect(members).toBeVisible();
  return members;
}

for (const [label, viewport] of widths) {
  test(`member and room tools are menus, usable by keyboard, ${label}`, async ({ browser }) => {
    const { admin, adminName, member, memberName, close } = await room(browser, viewport);
    const members = await membersOf(admin, label);
    // One menu, on the other member's row; no buttons fill the panel.
    await expect(members.locator("summary")).toHaveCount(1);
    const actions = menuButton(members, `Actions for ${memberName}`);
    await expect(actions).toHaveAccessibleName(`Actions for ${memberName}`);
    const makeAdmin = admin.getByRole("button", { name: "Make admin" });
    const remove = admin.getByRole("button", { name: "Ban", exact: true });
    await expect(makeAdmin).toBeHidden();
    await expect(remove).toBeHidden();

    // Enter opens it; Escape closes it, puts focus back, and leaves the
    // Members panel open.
    await actions.focus();
    await admin.keyboard.press("Enter");
    await expect(makeAdmin).toBeVisible();
    await expect(remove).toBeVisible();
    await noSidewaysScroll(admin);
    await admin.screenshot({ path: `test-results/member-menu-${label}.png` });
    await admin.keyboard.press("Escape");
    await expect(makeAdmin).toBeHidden();
    await expect(actions).toBeFocused();
    await expect(members).toBeVisible();

    // Room settings: rename, delete and leave, behind one button.
    if (label === "phone") await admin.keyboard.press("Escape");
    const settings = menuButton(admin, "Room settings");
    await expect(settings).toHaveAccessibleName("Room settings");
    await expect(admin.getByRole("button", { name: "Rename room" })).toBeHidden();
    await settings.focus();
    await admin.keyboard.press(" ");
    await expect(admin.getByLabel("New room name")).toBeVisible();
    await expect(admin.getByRole("button", { name: "Rename room" })).toBeVisible();
    await expect(menuButton(admin, "Delete room")).toBeVisible();
    await expect(admin.getByRole("button", { name: "Leave room" })).toBeVisible();
    await noSidewaysScroll(admin);
    await admin.screenshot({ path: `test-results/room-settings-${label}.png` });
    await admin.keyboard.press("Escape");
    await expect(admin.getByRole("button", { name: "Leave room" })).toBeHidden();
    await expect(settings).toBeFocused();

    // Handing over the role with the keyboard alone.
    await membersOf(admin, label);
    await actions.focus();
    await admin.keyboard.press("Enter");
    await admin.keyboard.press("Tab");
    await expect(makeAdmin).toBeFocused();
    await admin.keyboard.press("Enter");
    await expect(members.getByRole("listitem").filter({ hasText: memberName })).toContainText("admin");
    await expect(members.locator("summary")).toHaveCount(0);

    // The new admin has the menu on the old admin's row; the old admin's
    // settings hold only `Leave room`.
    await member.reload();
    await hydrated(member);
    await membersOf(member, label);
    await expect(menuButton(member, `Actions for ${adminName}`)).toBeVisible();
    if (label === "phone") await admin.keyboard.press("Escape");
    await openMenu(admin, "Room settings");
    await expect(admin.getByRole("button", { name: "Leave room" })).toBeVisible();
    await expect(admin.getByRole("button", { name: "Rename room" })).toHaveCount(0);
    await expect(menuButton(admin, "Delete room")).toHaveCount(0);
    await close();
  });

  test(`member and room tools work without JavaScript, ${label}`, async ({ browser }) => {
    const { adminCtx, memberName, link, close } = await room(browser, viewport);
    const noJs = await browser.newContext({
      viewport,
      javaScriptEnabled: false,
      storageState: await adminCtx.storageState(),
    });
    const page = await noJs.newPage();
    await page.goto(link);
    const members = page.getByRole("list", { name: "Members" });
    await expect(members.getByRole("listitem")).toHaveCount(2);

    await menuButton(page, `Actions for ${memberName}`).click();
    await page.getByRole("button", { name: "Ban", exact: true }).click();
    // Back to the room (the form's answer sends the browser where it was).
    await expect(page).toHaveURL(new RegExp(`^${link}\\??$`));
    await expect(members.getByRole("listitem")).toHaveCount(1);

    await menuButton(page, "Room settings").click();
    await page.getByLabel("New room name").fill("Renamed without script");
    await page.getByRole("button", { name: "Rename room" }).click();
    await expect(page.getByRole("heading", { name: "Renamed without script" })).toBeVisible();

    await menuButton(page, "Room settings").click();
    await menuButton(page, "Delete room").click();
    await page.getByRole("button", { name: "Yes, delete room" }).click();
    await expect(page).toHaveURL(/\/$/);
    const gone = await page.goto(link);
    expect(gone?.status()).toBe(404);
    await noJs.close();
    await close();
  });
}
