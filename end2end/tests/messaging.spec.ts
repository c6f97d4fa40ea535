import { test, expect, Page } from "@playwright/test";
import { consoleErrors, hydrated, joinRoom, signUp, uniqueName } from "./helpers";

async function send(page: Page, text: string) {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
}

function log(page: Page) {
  return page.getByRole("log", { name: "Messages" });
}

test("two people chat live; a dropped connection misses nothing", async ({ browser }) => {
  const aliceCtx = await browser.newContext();
  const alice = await aliceCtx.newPage();
  await signUp(alice, uniqueName("ali"));
  await alice.getByLabel("Room name").fill("Live");
  await alice.getByRole("button", { name: "Create room" }).click();
  await expect(alice).toHaveURL(/\/r\//);
  const link = alice.url();
  await hydrated(alice);
  await expect(alice.getByText("No messages yet. Say hello!")).toBeVisible();

  // Bob's websocket goes through a switch, so the test can drop it (and
  // refuse reconnections) while the real server keeps running.
  const bobCtx = await browser.newContext();
  const bobSocket = { up: true, open: [] as { close: () => Promise<void> }[] };
  await bobCtx.routeWebSocket(/\/ws$/, (ws) => {
    if (!bobSocket.up) {
      void ws.close();
      return;
    }
    const server = ws.connectToServer();
    bobSocket.open.push({ close: async () => { await server.close(); await ws.close(); } });
  });
  const bob = await bobCtx.newPage();
  await signUp(bob, uniqueName("bob"));
  await joinRoom(bob, link);
  await hydrated(bob);

  await send(alice, "hello <b>bob</b>");
  await expect(log(bob)).toContainText("hello <b>bob</b>");
  await send(bob, "hi alice\nsecond line");
  await expect(log(alice)).toContainText("hi alice");
  await expect(log(alice).locator("li.message").last().locator(".body")).toHaveText("hi alice\nsecond line");

  // Shift+Enter inserts a newline; Enter sends.
  const box = alice.getByRole("textbox", { name: "Message" });
  await box.fill("line one");
  await box.press("Shift+Enter");
  await box.pressSequentially("line two");
  await expect(box).toHaveValue("line one\nline two");
  await box.press("Enter");
  await expect(box).toHaveValue("");
  await expect(log(bob)).toContainText("line two");

  // Bob drops off; Alice sends five; Bob comes back and sees all five, once, in order.
  // Chromium's offline mode does not cut an open websocket (Hearth drops it
  // on the browser's `offline` event), nor loopback connections: the
  // switch makes sure reconnecting fails until Bob is back.
  bobSocket.up = false;
  await bobCtx.setOffline(true);
  for (const socket of bobSocket.open.splice(0)) await socket.close();
  await expect(bob.getByText("Connection lost. Reconnecting…")).toBeVisible({ timeout: 20_000 });
  for (let i = 1; i <= 5; i++) await send(alice, `while away ${i}`);
  await expect(log(alice).locator("li.message:not(.pending)")).toHaveCount(8);
  bobSocket.up = true;
  await bobCtx.setOffline(false);
  await expect(bob.getByText("Connection lost. Reconnecting…")).toBeHidden({ timeout: 30_000 });
  await expect(log(bob).locator("li.message")).toHaveCount(8);
  const bodies = await log(bob).locator("li.message .body").allTextContents();
  expect(bodies.slice(3)).toEqual([1, 2, 3, 4, 5].map((i) => `while away ${i}`));

  // A reload shows the same conversation from the server, and hydrates cleanly.
  const errors = consoleErrors(bob);
  await bob.reload();
  await hydrated(bob);
  await expect(log(bob).locator("li.message")).toHaveCount(8);
  await bob.waitForTimeout(500);
  expect(errors).toEqual([]);
  await aliceCtx.close();
  await bobCtx.close();
});

test("a message over the limit is refused and kept in the composer", async ({ page }) => {
  await signUp(page, uniqueName("lim"));
  await page.getByLabel("Room name").fill("Limits");
  await page.getByRole("button", { name: "Create room" }).click();
  await expect(page).toHaveURL(/\/r\//);
  await hydrated(page);
  const long = "x".repeat(4001);
  await page.getByRole("textbox", { name: "Message" }).fill(long);
  await expect(page.getByText("4001 / 4000")).toBeVisible();
  await page.getByRole("textbox", { name: "Message" }).press("Enter");
  await expect(page.getByRole("alert")).toContainText("too long");
  await expect(page.getByRole("textbox", { name: "Message" })).toHaveValue(long);
  await expect(log(page).locator("li.message")).toHaveCount(0);
});
