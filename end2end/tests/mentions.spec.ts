import { test, expect, Browser, BrowserContext, Page } from "@playwright/test";
import { createRoom, hydrated, joinRoom, signUp, uniqueName } from "./helpers";

// Mentions and notifications (issue 19): `@` in the composer offers the
// room's members, the person mentioned sees the message marked and a
// mention count apart from the unread count, and desktop notifications
// come for rooms in the background, once however many tabs are open, and
// never for the room being looked at.

function composer(page: Page) {
  return page.getByRole("textbox", { name: "Message" });
}

async function send(page: Page, text: string) {
  await composer(page).fill(text);
  await composer(page).press("Enter");
  await expect(composer(page)).toHaveValue("");
}

/** The link to room `name` in the `Rooms` list. */
function roomLink(page: Page, name: string) {
  return page.getByRole("navigation", { name: "Rooms" }).getByRole("link", { name: new RegExp(`^${name}`) });
}

/**
 * A context whose pages may show notifications, each page recording the
 * ones it shows (`window.__notes`), as the browser's own are out of reach.
 */
async function notifiable(browser: Browser): Promise<BrowserContext> {
  const ctx = await browser.newContext({ permissions: ["notifications"] });
  await ctx.addInitScript(() => {
    const Real = window.Notification;
    const notes: { title: string; body?: string; at: number; note: Notification }[] = [];
    (window as any).__notes = notes;
    class Recorded extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        notes.push({ title, body: options?.body, at: performance.timeOrigin + performance.now(), note: this });
      }
    }
    Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
    (window as any).Notification = Recorded;
  });
  return ctx;
}

async function notes(page: Page): Promise<{ title: string; body?: string; at: number }[]> {
  return page.evaluate(() =>
    (window as any).__notes.map((n: any) => ({ title: n.title, body: n.body, at: n.at })),
  );
}

test("a mention is completed from the list, marked for the person and counted apart", async ({ browser }) => {
  const ali = await (await browser.newContext()).newPage();
  await signUp(ali, uniqueName("ali"));
  const link = await createRoom(ali, "Design");

  const bob = await (await browser.newContext()).newPage();
  const bobName = uniqueName("bob");
  await signUp(bob, bobName);
  await joinRoom(bob, link);
  await bob.goto("/");
  await hydrated(bob);
  await ali.reload();
  await hydrated(ali);

  // `@` opens the list: Bob, and `@room` for the admin; arrows choose,
  // Escape closes.
  const box = composer(ali);
  await box.pressSequentially("@");
  const list = ali.getByRole("listbox", { name: "Members to mention" });
  await expect(list.getByRole("option")).toHaveText([`@${bobName}`, "@room everyone here"]);
  await expect(list.getByRole("option").first()).toHaveAttribute("aria-selected", "true");
  await box.press("ArrowDown");
  await expect(list.getByRole("option", { name: "@room" })).toHaveAttribute("aria-selected", "true");
  await expect(box).toHaveAttribute("aria-activedescendant", "mention-options-1");
  await box.press("Escape");
  await expect(list).toHaveCount(0);
  await box.fill("");

  // Typing narrows it; Enter completes the name (and does not send).
  await box.pressSequentially(`hi @${bobName.slice(0, 4)}`);
  await expect(list.getByRole("option")).toHaveText([`@${bobName}`]);
  await box.press("Enter");
  await expect(box).toHaveValue(`hi @${bobName} `);
  await box.pressSequentially("look at this");
  await box.press("Enter");
  await expect(box).toHaveValue("");
  await send(ali, "and a plain one");

  // Bob, elsewhere: two unread, one of them a mention, said apart.
  await expect(roomLink(bob, "Design")).toHaveAccessibleName("Design, 2 unread, 1 mention");
  await expect(bob).toHaveTitle("(2) Hearth");

  // In the room the message that mentions him is marked, and says so.
  await roomLink(bob, "Design").click();
  const mention = bob.locator(".message.mentions-me");
  await expect(mention).toHaveCount(1);
  await expect(mention).toContainText("mentions you");
  await expect(mention).toContainText(`hi @${bobName} look at this`);
  await expect(roomLink(bob, "Design")).toHaveAccessibleName("Design");
});

test("notifications come for background rooms, once across tabs, as each room's setting says", async ({ browser }) => {
  // Without permission, the list offers to ask for it.
  const plain = await (await browser.newContext()).newPage();
  await signUp(plain, uniqueName("pla"));
  await expect(plain.getByRole("button", { name: "Enable notifications" })).toBeVisible();

  const ali = await (await browser.newContext()).newPage();
  const aliName = uniqueName("ali");
  await signUp(ali, aliName);
  const busy = await createRoom(ali, "Busy");

  const ctx = await notifiable(browser);
  const bob = await ctx.newPage();
  const bobName = uniqueName("bob");
  await signUp(bob, bobName);
  await expect(bob.getByRole("button", { name: "Enable notifications" })).toHaveCount(0);
  const quiet = await createRoom(bob, "Quiet");
  await joinRoom(bob, busy);
  await joinRoom(ali, quiet);
  await ali.goto(busy);
  await hydrated(ali);

  // A second tab of Bob's, then the first one looking at Quiet.
  const other = await ctx.newPage();
  await other.goto("/");
  await hydrated(other);
  await bob.goto(quiet);
  await hydrated(bob);
  await bob.bringToFront();

  // A message in Busy, in the background: one notification in all.
  await send(ali, "hello busy");
  // Whichever tab shows each, in the order shown.
  const all = async () => [...(await notes(bob)), ...(await notes(other))].sort((a, b) => a.at - b.at);
  await expect.poll(async () => (await all()).map(({ title, body }) => ({ title, body }))).toEqual([
    { title: `${aliName} in Busy`, body: "hello busy" },
  ]);

  // In Quiet, the room Bob is looking at: none; the next in Busy shows
  // the one in Quiet came and went.
  await ali.goto(quiet);
  await hydrated(ali);
  await send(ali, "hello quiet");
  await expect(bob.getByRole("log", { name: "Messages" })).toContainText("hello quiet");
  await ali.goto(busy);
  await hydrated(ali);
  await send(ali, "busy again");
  await expect.poll(async () => (await all()).map((n) => n.body)).toEqual(["hello busy", "busy again"]);

  // Busy set to mentions only: a plain message no longer notifies, a
  // mention does, and its count is dimmed in the list.
  await bob.goto(busy);
  await hydrated(bob);
  await bob.getByText("Room settings").click();
  await bob.getByRole("radio", { name: "Mentions" }).check();
  await expect(bob.getByRole("radio", { name: "Mentions" })).toBeChecked();
  await bob.reload();
  await hydrated(bob);
  await bob.getByText("Room settings").click();
  await expect(bob.getByRole("radio", { name: "Mentions" })).toBeChecked();
  await bob.goto(quiet);
  await hydrated(bob);
  await bob.bringToFront();
  await send(ali, "plain again");
  await expect(roomLink(bob, "Busy")).toHaveAccessibleName("Busy, 1 unread");
  await expect(roomLink(bob, "Busy").locator(".unread.quiet")).toBeVisible();
  await send(ali, `@${bobName} need you`);
  // (Bob's tab has been reloaded since the first two: only the other tab
  // may still hold them.)
  const earlier = ["hello busy", "busy again"];
  await expect
    .poll(async () => (await all()).filter((n) => !earlier.includes(n.body ?? "")))
    .toEqual([expect.objectContaining({ title: `${aliName} mentioned you in Busy`, body: `@${bobName} need you` })]);
  await expect(roomLink(bob, "Busy")).toHaveAccessibleName("Busy, 2 unread, 1 mention");
  // The title counts what the settings count: the one mention.
  await expect(bob).toHaveTitle("(1) Hearth");

  // Clicking the notification opens the message, in the tab that showed it.
  const mentioned = (n: { title: string }) => n.title.includes("mentioned");
  const holder = (await notes(bob)).some(mentioned) ? bob : other;
  await holder.evaluate(() =>
    (window as any).__notes.find((n: any) => n.title.includes("mentioned")).note.onclick(),
  );
  await expect(holder).toHaveURL(/\/r\/[^?]+\?at=\d+$/);
  await expect(holder.getByRole("log", { name: "Messages" })).toContainText("need you");
});
