import { test, expect, Browser, Page } from "@playwright/test";
import { consoleErrors, createRoom, hydrated, joinRoom, roomId, sendOverSocket, signUp, uniqueName } from "./helpers";

function log(page: Page) {
  return page.getByRole("log", { name: "Messages" });
}

async function noSidewaysScroll(page: Page) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
}

/** Two people in one room with a conversation worth looking at. */
async function conversation(browser: Browser) {
  const ctx = await browser.newContext();
  const ann = await ctx.newPage();
  await signUp(ann, uniqueName("ann"));
  const link = await createRoom(ann, "Weekend plans");
  const otherCtx = await browser.newContext();
  const ben = await otherCtx.newPage();
  await signUp(ben, uniqueName("ben"));
  await joinRoom(ben, link);
  const room = roomId(link);
  await sendOverSocket(ann, room, ["Anyone up for a hike on Saturday?", "The forecast says sunny 🌞"]);
  await sendOverSocket(ben, room, [
    "Count me in!\nI can bring sandwiches.",
    "Route ideas: https://example.com/trails/ridge-loop",
    "Averyveryveryveryveryveryveryveryveryveryveryveryveryveryverylongwordthatmustwrap",
  ]);
  await otherCtx.close();
  return { ctx, ann, link };
}

for (const colorScheme of ["light", "dark"] as const) {
  for (const [label, viewport] of [
    ["desktop", { width: 1280, height: 800 }],
    ["phone", { width: 390, height: 844 }],
  ] as const) {
    test(`room view, ${label}, ${colorScheme}`, async ({ browser }) => {
      const { ctx, link } = await conversation(browser);
      const view = await browser.newContext({ viewport, colorScheme, storageState: await ctx.storageState() });
      const page = await view.newPage();
      const errors = consoleErrors(page);
      await page.goto(link);
      await hydrated(page);
      await expect(log(page).locator("li.message")).toHaveCount(5);
      const link_ = log(page).getByRole("link", { name: "https://example.com/trails/ridge-loop" });
      await expect(link_).toHaveAttribute("rel", "noopener noreferrer nofollow ugc");
      await expect(link_).toHaveAttribute("target", "_blank");
      await expect(log(page).getByRole("separator")).toHaveCount(1);
      await noSidewaysScroll(page);
      await page.screenshot({ path: `test-results/room-${label}-${colorScheme}.png` });

      const nav = page.getByRole("navigation", { name: "Rooms" });
      const members = page.getByRole("list", { name: "Members" });
      if (label === "phone") {
        // Panels start closed and open over the conversation; Escape closes.
        await expect(nav).toBeHidden();
        await page.getByRole("button", { name: "Show rooms" }).click();
        await expect(nav).toBeVisible();
        await page.screenshot({ path: `test-results/rooms-menu-${label}-${colorScheme}.png` });
        await page.keyboard.press("Escape");
        await expect(nav).toBeHidden();
        await expect(members).toBeHidden();
        await page.getByRole("button", { name: "Members" }).click();
        await expect(members).toBeVisible();
        await page.screenshot({ path: `test-results/members-${label}-${colorScheme}.png` });
        await page.keyboard.press("Escape");
        await expect(members).toBeHidden();
      } else {
        await expect(nav).toBeVisible();
        await expect(members).toBeVisible();
        await expect(members.getByRole("img", { name: "online" })).toHaveCount(1);
        await page.getByRole("button", { name: "Members" }).click();
        await expect(members).toBeHidden();
        await page.getByRole("button", { name: "Members" }).click();
        await expect(members).toBeVisible();
      }
      await noSidewaysScroll(page);
      expect(errors).toEqual([]);
      await view.close();
      await ctx.close();
    });
  }
}

test("unread counts appear in Rooms and the title, and clear when read", async ({ browser }) => {
  const annCtx = await browser.newContext();
  const ann = await annCtx.newPage();
  await signUp(ann, uniqueName("ann"));
  const busy = await createRoom(ann, "Busy room");
  const quiet = await createRoom(ann, "Quiet room");

  const benCtx = await browser.newContext();
  const ben = await benCtx.newPage();
  await signUp(ben, uniqueName("ben"));
  await joinRoom(ben, busy);

  // Ann sits in the quiet room while Ben writes in the busy one.
  await expect(ann).toHaveURL(quiet);
  await sendOverSocket(ben, roomId(busy), ["one", "two", "three"]);
  const nav = ann.getByRole("navigation", { name: "Rooms" });
  await expect(nav.getByRole("link", { name: /Busy room.*3 unread/ })).toBeVisible();
  await expect(ann).toHaveTitle("(3) Hearth");

  // Opening the room reads it: the count clears here and in another tab.
  await nav.getByRole("link", { name: /Busy room/ }).click();
  await expect(log(ann).locator("li.message")).toHaveCount(3);
  await expect(nav.getByRole("link", { name: "Busy room", exact: true })).toBeVisible();
  await expect(ann).toHaveTitle("Hearth");
  const second = await annCtx.newPage();
  await second.goto("/");
  await expect(second.getByRole("navigation", { name: "Rooms" }).getByRole("link", { name: "Busy room", exact: true })).toBeVisible();
  await annCtx.close();
  await benCtx.close();
});

test("scrolled up: new messages wait behind a button; older history loads at the top", async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await signUp(page, uniqueName("scr"));
  const link = await createRoom(page, "Long history");
  const room = roomId(link);
  await sendOverSocket(
    page,
    room,
    Array.from({ length: 120 }, (_, i) => `history ${i + 1}`),
  );
  const otherCtx = await browser.newContext();
  const other = await otherCtx.newPage();
  await signUp(other, uniqueName("oth"));
  await joinRoom(other, link);
  await page.reload();
  await hydrated(page);
  const messages = log(page).locator("li.message");
  await expect(messages).toHaveCount(50);
  // Opening the room shows the newest message.
  await expect(messages.last()).toBeInViewport();

  // Scrolled up, a new message does not move the view; a button offers it.
  const scroller = page.locator(".messages");
  // Wait for the scroll event, as a person's scrolling always comes before
  // the next message does; the page only knows it is scrolled up from it.
  await scroller.evaluate(
    (el) =>
      new Promise((scrolled) => {
        el.addEventListener("scroll", scrolled, { once: true });
        el.scrollTop = el.scrollHeight / 2;
      }),
  );
  // From someone else: the reader's own messages (from another tab) are
  // never new to them.
  await sendOverSocket(other, room, ["fresh one", "fresh two"]);
  const button = page.getByRole("button", { name: "2 new messages" });
  await expect(button).toBeVisible();
  await expect(log(page).getByText("fresh two")).not.toBeInViewport();
  await button.click();
  await expect(log(page).getByText("fresh two")).toBeInViewport();
  await expect(button).toBeHidden();

  // At the top, older history loads and what was first stays in view.
  const firstShown = log(page).getByText("history 71", { exact: true });
  await scroller.evaluate((el) => (el.scrollTop = 0));
  await expect(messages).toHaveCount(102);
  await expect(firstShown).toBeInViewport();
  await scroller.evaluate((el) => (el.scrollTop = 0));
  await expect(messages).toHaveCount(122);
  await expect(log(page).getByText("history 1", { exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "Load older messages" })).toHaveCount(0);
  await ctx.close();
  await otherCtx.close();
});
