import { test, expect, Browser, Page } from "@playwright/test";
import { createRoom, hydrated, roomId, sendOverSocket, signUp, uniqueName } from "./helpers";

const widths = [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
] as const;

function log(page: Page) {
  return page.getByRole("log", { name: "Messages" });
}

async function send(page: Page, text: string) {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
}

/** How far the conversation is from its bottom, in CSS pixels. */
async function fromBottom(page: Page): Promise<number> {
  return page
    .locator(".messages")
    .evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
}

/** Ann and Ben in one room, each in their own browser at `viewport`. */
async function pair(browser: Browser, viewport: { width: number; height: number }) {
  const annCtx = await browser.newContext({ viewport });
  const ann = await annCtx.newPage();
  await signUp(ann, uniqueName("ann"));
  const link = await createRoom(ann, "Scrolling");
  const benCtx = await browser.newContext({ viewport });
  const ben = await benCtx.newPage();
  await signUp(ben, uniqueName("ben"));
  await ben.goto(link);
  await hydrated(ben);
  await ben.getByRole("button", { name: "Join room" }).click();
  await expect(ben.getByRole("textbox", { name: "Message" })).toBeVisible();
  await hydrated(ben);
  return {
    ann,
    ben,
    link,
    close: async () => {
      await annCtx.close();
      await benCtx.close();
    },
  };
}

for (const [label, viewport] of widths) {
  test(`a reader at the bottom stays there through a conversation and a burst, ${label}`, async ({ browser }) => {
    // Paced like people (about 20 s alone); the default 30 s left too little
    // room when the machine is busy with the rest of the suite.
    test.setTimeout(60_000);
    const { ann, ben, close } = await pair(browser, viewport);
    // A conversation at a person's pace: 30 messages, 300 ms apart, taking turns.
    for (let i = 1; i <= 30; i++) {
      const [who, name] = i % 2 ? [ann, "ann"] : [ben, "ben"];
      await send(who, `${name} says line ${i} of a conversation that is long enough to wrap on a phone`);
      await who.waitForTimeout(300);
    }
    // Then Ben sends 15 as fast as he can type Enter.
    for (let i = 1; i <= 15; i++) await send(ben, `burst ${i}`);
    await expect(log(ann).locator("li.message:not(.pending)")).toHaveCount(45);
    await expect(log(ben).locator("li.message:not(.pending)")).toHaveCount(45);

    // The reader ends at the bottom, with no "new messages" button.
    await expect.poll(() => fromBottom(ann)).toBeLessThanOrEqual(2);
    await expect(log(ann).getByText("burst 15", { exact: true })).toBeInViewport();
    await expect(ann.getByRole("button", { name: /new message/ })).toHaveCount(0);
    // The sender is at their own last message.
    await expect.poll(() => fromBottom(ben)).toBeLessThanOrEqual(2);
    await expect(log(ben).getByText("burst 15", { exact: true })).toBeInViewport();
    await expect(ben.getByRole("button", { name: /new message/ })).toHaveCount(0);
    await close();
  });

  test(`a reader who scrolled up stays put and counts only others' messages; sending brings them down, ${label}`, async ({ browser }) => {
    const { ann, ben, link, close } = await pair(browser, viewport);
    const room = roomId(link);
    await sendOverSocket(ben, room, Array.from({ length: 60 }, (_, i) => `history ${i + 1}`));
    await expect(log(ann).locator("li.message")).toHaveCount(60);
    await expect.poll(() => fromBottom(ann)).toBeLessThanOrEqual(2);

    const scroller = ann.locator(".messages");
    await scroller.evaluate(
      (el) =>
        new Promise((scrolled) => {
          el.addEventListener("scroll", scrolled, { once: true });
          el.scrollTop = el.scrollHeight / 3;
        }),
    );
    const top = await scroller.evaluate((el) => el.scrollTop);
    // Ann's own messages from another tab do not count as new; Ben's do.
    await sendOverSocket(ann, room, ["mine from another tab"]);
    await sendOverSocket(ben, room, ["new one", "new two", "new three"]);
    await expect(log(ann).locator("li.message")).toHaveCount(64);
    const button = ann.getByRole("button", { name: "3 new messages" });
    await expect(button).toBeVisible();
    expect(await scroller.evaluate((el) => el.scrollTop)).toBe(top);
    await expect(log(ann).getByText("new three")).not.toBeInViewport();

    // Sending from here brings Ann to her message and clears the button.
    await send(ann, "my reply");
    await expect(log(ann).locator("li.message:not(.pending)")).toHaveCount(65);
    await expect(log(ann).getByText("my reply")).toBeInViewport();
    await expect.poll(() => fromBottom(ann)).toBeLessThanOrEqual(2);
    await expect(button).toBeHidden();
    await close();
  });
}
