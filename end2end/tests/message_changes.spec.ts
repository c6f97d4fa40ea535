import { test, expect, Browser, BrowserContext, Locator, Page } from "@playwright/test";
import { consoleErrors, hydrated, signUp, uniqueName } from "./helpers";

// Editing, deleting, replying and reacting (issue 16): two people live,
// a third offline through all of it who catches up exactly, and the same
// actions without JavaScript.

function log(page: Page): Locator {
  return page.getByRole("log", { name: "Messages" });
}

/** The message whose body includes `text` (not a reply quoting it). */
function message(page: Page, text: string): Locator {
  return log(page)
    .getByRole("listitem")
    .filter({ has: page.locator(".body").filter({ hasText: text }) });
}

async function send(page: Page, text: string) {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
  await expect(log(page).locator("li.message:not(.pending)").filter({ hasText: text })).toHaveCount(1);
}

/** Presses one of a message's buttons (they show on hover or focus). */
async function act(page: Page, item: Locator, button: string) {
  await item.hover();
  await item.getByRole("button", { name: button, exact: true }).click();
}

/** What a reader sees of the conversation, message by message. */
async function seen(page: Page): Promise<string[]> {
  return log(page)
    .locator("li.message")
    .evaluateAll((items) =>
      items.map((li) => {
        const part = (sel: string) => li.querySelector(sel)?.textContent?.trim() ?? "";
        const chips = Array.from(li.querySelectorAll(".reaction")).map((c) => c.getAttribute("aria-label") ?? "");
        return [part(".quote"), part(".body"), part(".edited > summary"), chips.join(" | ")].join(" / ");
      }),
    );
}

/** A person in the room, in a context whose websocket can be cut. */
interface Person {
  ctx: BrowserContext;
  page: Page;
  name: string;
  socket: { up: boolean; open: { close: () => Promise<void> }[] };
}

async function person(browser: Browser, prefix: string): Promise<Person> {
  const ctx = await browser.newContext();
  const socket = { up: true, open: [] as { close: () => Promise<void> }[] };
  await ctx.routeWebSocket(/\/ws$/, (ws) => {
    if (!socket.up) {
      void ws.close();
      return;
    }
    const server = ws.connectToServer();
    socket.open.push({ close: async () => { await server.close(); await ws.close(); } });
  });
  const page = await ctx.newPage();
  const name = uniqueName(prefix);
  await signUp(page, name);
  return { ctx, page, name, socket };
}

async function join(p: Person, link: string) {
  await p.page.goto(link);
  await hydrated(p.page);
  await p.page.getByRole("button", { name: "Join room" }).click();
  await expect(p.page.getByRole("textbox", { name: "Message" })).toBeVisible();
  await hydrated(p.page);
}

async function offline(p: Person) {
  p.socket.up = false;
  await p.ctx.setOffline(true);
  for (const s of p.socket.open.splice(0)) await s.close();
  await expect(p.page.getByText("Connection lost. Reconnecting…")).toBeVisible({ timeout: 20_000 });
}

async function online(p: Person) {
  p.socket.up = true;
  await p.ctx.setOffline(false);
  await expect(p.page.getByText("Connection lost. Reconnecting…")).toBeHidden({ timeout: 30_000 });
}

for (const [label, viewport] of [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
] as const) {
  test(`edits, deletions, replies and reactions reach everyone, and an offline reader catches up, ${label}`, async ({ browser }) => {
    const alice = await person(browser, "ali");
    const bob = await person(browser, "bob");
    const carol = await person(browser, "car");
    for (const p of [alice, bob, carol]) await p.page.setViewportSize(viewport);
    await alice.page.getByLabel("Room name").fill("Changes");
    await alice.page.getByRole("button", { name: "Create room" }).click();
    await expect(alice.page).toHaveURL(/\/r\//);
    const link = alice.page.url();
    await hydrated(alice.page);
    await join(bob, link);
    await join(carol, link);

    await send(alice.page, "first message");
    await send(alice.page, "second message");
    await send(alice.page, "third message");
    await expect(message(carol.page, "third message")).toHaveCount(1);
    await offline(carol);

    // Edit: only the author has the button; the box saves on Enter.
    await message(bob.page, "first message").hover();
    await expect(message(bob.page, "first message").getByRole("button", { name: "Edit", exact: true })).toHaveCount(0);
    await act(alice.page, message(alice.page, "first message"), "Edit");
    const editBox = alice.page.getByRole("textbox", { name: "Edit message" });
    await expect(editBox).toBeFocused();
    await editBox.fill("first message, edited");
    await editBox.press("Enter");
    await expect(message(bob.page, "first message, edited")).toContainText("(edited)");
    // Members can read the earlier text.
    await message(bob.page, "first message, edited").getByText("(edited)").click();
    await expect(message(bob.page, "first message, edited").getByLabel("Earlier texts")).toContainText("first message");
    // Escape leaves an edit as it was.
    await act(alice.page, message(alice.page, "second message"), "Edit");
    await alice.page.getByRole("textbox", { name: "Edit message" }).fill("never saved");
    await alice.page.getByRole("textbox", { name: "Edit message" }).press("Escape");
    await expect(message(alice.page, "second message")).not.toContainText("(edited)");

    // React: the picker's buttons are named by their emoji; chips count.
    await act(bob.page, message(bob.page, "second message"), "React");
    await bob.page.getByRole("button", { name: "👍", exact: true }).click();
    const bobChip = message(bob.page, "second message").getByRole("button", { name: /^👍 1/ });
    await expect(bobChip).toHaveAttribute("aria-pressed", "true");
    const aliceChip = message(alice.page, "second message").getByRole("button", { name: /^👍 1/ });
    await expect(aliceChip).toHaveAttribute("aria-pressed", "false");
    await aliceChip.click();
    await expect(message(bob.page, "second message").getByRole("button", { name: /^👍 2/ })).toBeVisible();
    // Pressing your own chip again takes yours off.
    await message(alice.page, "second message").getByRole("button", { name: /^👍 2/ }).click();
    await expect(message(bob.page, "second message").getByRole("button", { name: /^👍 1/ })).toBeVisible();

    // Reply: "Replying to <name>" above the composer, the quote on the message.
    await act(bob.page, message(bob.page, "third message"), "Reply");
    await expect(bob.page.getByText(`Replying to ${alice.name}`)).toBeVisible();
    await send(bob.page, "a reply to the third");
    const reply = message(alice.page, "a reply to the third");
    await expect(reply.locator(".quote")).toContainText(alice.name);
    await expect(reply.locator(".quote")).toContainText("third message");
    await expect(bob.page.locator("form.composer").getByText(`Replying to ${alice.name}`)).toHaveCount(0);

    // Delete asks first, in the page; the tombstone keeps the place.
    await act(alice.page, message(alice.page, "second message"), "Delete");
    await alice.page.getByRole("button", { name: "Yes, delete" }).click();
    await expect(log(bob.page).getByText("second message")).toHaveCount(0);
    await expect(log(bob.page).getByText("Message deleted")).toHaveCount(1);
    await act(alice.page, message(alice.page, "third message"), "Delete");
    await alice.page.getByRole("button", { name: "Yes, delete" }).click();
    await expect(message(bob.page, "a reply to the third").locator(".quote")).toContainText("Message deleted");

    // Carol comes back: she sees exactly what Bob sees, and after a reload too.
    const expected = await seen(bob.page);
    expect(expected.length).toBe(4);
    await online(carol);
    await expect.poll(() => seen(carol.page), { timeout: 15_000 }).toEqual(expected);
    // (While offline the browser logs the requests it could not make.)
    const errors = consoleErrors(carol.page);
    await carol.page.reload();
    await hydrated(carol.page);
    await expect.poll(() => seen(carol.page)).toEqual(expected);
    expect(errors).toEqual([]);

    // A link can open the page at a message (a quote leads there when its
    // parent is not on screen).
    const first = await message(alice.page, "first message, edited").getAttribute("data-seq");
    await alice.page.goto(`${link}?at=${first}`);
    await hydrated(alice.page);
    await expect(message(alice.page, "first message, edited")).toBeInViewport();

    for (const p of [alice, bob, carol]) await p.ctx.close();
  });
}

test("delete, reply, react and edit work without JavaScript", async ({ browser }) => {
  const owner = await person(browser, "nos");
  await owner.page.getByLabel("Room name").fill("No script");
  await owner.page.getByRole("button", { name: "Create room" }).click();
  await expect(owner.page).toHaveURL(/\/r\//);
  const link = owner.page.url();
  await hydrated(owner.page);
  await send(owner.page, "say something");
  await send(owner.page, "to be deleted");

  const noJs = await browser.newContext({
    javaScriptEnabled: false,
    storageState: await owner.ctx.storageState(),
  });
  const page = await noJs.newPage();
  await page.goto(link);

  // Reply: the page comes back with the composer answering the message.
  await act(page, message(page, "say something"), "Reply");
  await expect(page.getByText(`Replying to ${owner.name}`)).toBeVisible();
  await page.getByRole("textbox", { name: "Message" }).fill("answered without script");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(message(page, "answered without script").locator(".quote")).toContainText("say something");

  // React, then take it off again.
  await act(page, message(page, "say something"), "React");
  await page.getByRole("button", { name: "🎉", exact: true }).click();
  const chip = message(page, "say something").getByRole("button", { name: /^🎉 1/ });
  await expect(chip).toHaveAttribute("aria-pressed", "true");
  await chip.click();
  await expect(message(page, "say something").getByRole("button", { name: /^🎉/ })).toHaveCount(0);

  // Edit.
  await act(page, message(page, "say something"), "Edit");
  await page.getByRole("textbox", { name: "Edit message" }).fill("said something");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(message(page, "said something")).toContainText("(edited)");

  // Delete, after the question in the page.
  await act(page, message(page, "to be deleted"), "Delete");
  await page.getByRole("button", { name: "Yes, delete" }).click();
  await expect(log(page).getByText("to be deleted")).toHaveCount(0);
  await expect(log(page).getByText("Message deleted")).toHaveCount(1);

  // The owner's open page followed it all live.
  await expect(log(owner.page).getByText("Message deleted")).toHaveCount(1);
  await expect(message(owner.page, "said something")).toContainText("(edited)");
  await noJs.close();
  await owner.ctx.close();
});
