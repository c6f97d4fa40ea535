import { test, expect, Browser, Page } from "@playwright/test";
import { createRoom, hydrated, roomId, sendOverSocket, signUp, uniqueName } from "./helpers";

const widths = [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
] as const;

type Viewport = { width: number; height: number };

function log(page: Page) {
  return page.getByRole("log", { name: "Messages" });
}

/** The `Rooms` list (behind a menu button on a phone, so maybe hidden). */
function nav(page: Page) {
  return page.getByRole("navigation", { name: "Rooms", includeHidden: true });
}

/**
 * The unread badge of `name` in the `Rooms` list: its text and its name
 * (`3 unread`), or nothing. Checked by attribute, as on a phone the list
 * is hidden until opened.
 */
function badge(page: Page, name: string) {
  return link(page, name).locator(".unread");
}

function link(page: Page, name: string) {
  return nav(page)
    .locator("li a")
    .filter({ has: page.getByText(name, { exact: true }) });
}

async function expectUnread(page: Page, name: string, count: string | null) {
  await expect(link(page, name)).toHaveCount(1);
  if (count === null) {
    await expect(badge(page, name)).toHaveCount(0);
  } else {
    await expect(badge(page, name)).toHaveText(count);
    await expect(badge(page, name)).toHaveAttribute("aria-label", `${count} unread`);
  }
}

/** Goes to `name` through the `Rooms` list, as a person would. */
async function openFromNav(page: Page, label: string, name: string) {
  if (label === "phone") await page.getByRole("button", { name: "Show rooms" }).click();
  await nav(page).getByRole("link", { name: new RegExp(`^${name}`) }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
}

/** Ann in "Talk" (with Ben) and "Elsewhere"; Ann's page is in Talk. */
async function setUp(browser: Browser, viewport: Viewport) {
  const annCtx = await browser.newContext({ viewport });
  const ann = await annCtx.newPage();
  await signUp(ann, uniqueName("ann"));
  await createRoom(ann, "Elsewhere");
  const talk = await createRoom(ann, "Talk");
  const benCtx = await browser.newContext({ viewport });
  const ben = await benCtx.newPage();
  await signUp(ben, uniqueName("ben"));
  await ben.goto(talk);
  await hydrated(ben);
  await ben.getByRole("button", { name: "Join room" }).click();
  await expect(ben.getByRole("textbox", { name: "Message" })).toBeVisible();
  await hydrated(ben);
  return {
    ann,
    annCtx,
    ben,
    talk,
    room: roomId(talk),
    close: async () => {
      await annCtx.close();
      await benCtx.close();
    },
  };
}

async function send(page: Page, text: string) {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
}

for (const [label, viewport] of widths) {
  test(`only others' unseen messages count; a message seen then left at once is read, ${label}`, async ({ browser }) => {
    const { ann, annCtx, ben, talk, room, close } = await setUp(browser, viewport);
    // A conversation of fourteen, seven of them Ann's, all seen by her.
    for (let i = 1; i <= 7; i++) {
      await sendOverSocket(ben, room, [`ben ${i}`]);
      await send(ann, `ann ${i}`);
    }
    await expect(log(ann).locator("li.message:not(.pending)")).toHaveCount(14);
    // Ben says one more; it shows, and Ann leaves straight away.
    await sendOverSocket(ben, room, ["did you see this?"]);
    await expect(log(ann).getByText("did you see this?")).toBeInViewport();
    await openFromNav(ann, label, "Elsewhere");
    await expectUnread(ann, "Talk", null);
    await expect(ann).toHaveTitle("Hearth");
    // The server agrees: a tab opened now shows nothing unread either.
    const other = await annCtx.newPage();
    await other.goto("/");
    await hydrated(other);
    await expectUnread(other, "Talk", null);

    // Three more from Ben: three unread, in the list and the title.
    await sendOverSocket(ben, room, ["one", "two", "three"]);
    await expectUnread(ann, "Talk", "3");
    await expect(ann).toHaveTitle("(3) Hearth");

    // Ann's own message from another tab reads the room for her.
    await expectUnread(other, "Talk", "3");
    await sendOverSocket(other, room, ["I'm here"]);
    await expectUnread(ann, "Talk", null);

    // Past 99: 99+, here, after a reload, and in the other tab.
    await sendOverSocket(ben, room, Array.from({ length: 120 }, (_, i) => `flood ${i + 1}`));
    await expectUnread(ann, "Talk", "99+");
    await expect(ann).toHaveTitle("(99+) Hearth");
    await ann.reload();
    await hydrated(ann);
    await expectUnread(ann, "Talk", "99+");
    await other.reload();
    await hydrated(other);
    await expectUnread(other, "Talk", "99+");

    // Reading it in one tab clears it in the other without a reload.
    await ann.goto(talk);
    await hydrated(ann);
    await expect(log(ann).getByText("flood 120", { exact: true })).toBeInViewport();
    await expectUnread(ann, "Talk", null);
    await expectUnread(other, "Talk", null);
    await expect(other).toHaveTitle("Hearth");
    await close();
  });

  test(`a message on screen when the tab closes is read, ${label}`, async ({ browser }) => {
    const { ann, annCtx, ben, room, close } = await setUp(browser, viewport);
    await sendOverSocket(ben, room, ["last words"]);
    await expect(log(ann).getByText("last words")).toBeInViewport();
    // Closed at once: no time for the usual write; the page sends a beacon.
    await ann.close({ runBeforeUnload: true });
    const again = await annCtx.newPage();
    await again.goto("/");
    await hydrated(again);
    await expectUnread(again, "Talk", null);
    await close();
  });
}
