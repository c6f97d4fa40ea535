import { test, expect, Locator, Page } from "@playwright/test";
import { consoleErrors, createRoom, hydrated, joinRoom, signUp, uniqueName } from "./helpers";

// Formatting (issue 18): what one person types in Markdown the other sees
// formatted, live and on a fresh page load, and markup typed as text stays
// text.

function log(page: Page): Locator {
  return page.getByRole("log", { name: "Messages" });
}

async function send(page: Page, text: string) {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
  await expect(box).toHaveValue("");
}

test("formatted text arrives formatted, and typed markup stays text", async ({ browser }) => {
  const aliceCtx = await browser.newContext();
  const alice = await aliceCtx.newPage();
  const errors = consoleErrors(alice);
  await signUp(alice, uniqueName("ali"));
  const link = await createRoom(alice, "Formatting");
  await hydrated(alice);

  const bobCtx = await browser.newContext();
  const bob = await bobCtx.newPage();
  await signUp(bob, uniqueName("bob"));
  await joinRoom(bob, link);

  await send(alice, "**bold** and _it_ and ~~gone~~ and `x < y`\nsee https://example.com/docs");
  await send(alice, "```\nfn main() {\n    let indented = 1;\n}\n```");
  await send(alice, "> quoted\n\n- one\n- two");
  await send(alice, "<img src=x onerror=alert(1)> and [click](javascript:alert(1))");

  const check = async (page: Page) => {
    const messages = log(page);
    await expect(messages.locator(".body strong")).toHaveText("bold");
    await expect(messages.locator(".body em")).toHaveText("it");
    await expect(messages.locator(".body del")).toHaveText("gone");
    await expect(messages.locator(".body p > code")).toHaveText("x < y");
    const url = messages.getByRole("link", { name: "https://example.com/docs" });
    await expect(url).toHaveAttribute("href", "https://example.com/docs");
    await expect(url).toHaveAttribute("rel", "noopener noreferrer nofollow ugc");
    const code = messages.locator(".body pre code");
    await expect(code).toHaveText("fn main() {\n    let indented = 1;\n}\n");
    // Code keeps its shape: it scrolls sideways rather than wrapping.
    await expect(messages.locator(".body pre")).toHaveCSS("white-space", "pre");
    await expect(messages.locator(".body blockquote")).toHaveText("quoted");
    await expect(messages.locator(".body ul > li")).toHaveText(["one", "two"]);
    // Markup typed as text is shown as text, and the link to a script is
    // not a link.
    await expect(messages).toContainText("<img src=x onerror=alert(1)>");
    await expect(messages.locator("img")).toHaveCount(0);
    await expect(messages.getByRole("link", { name: "click" })).toHaveCount(0);
  };
  await check(bob);
  // A fresh load renders the same on the server, before hydration.
  await bob.reload();
  await check(bob);
  await check(alice);
  expect(errors).toEqual([]);
});
