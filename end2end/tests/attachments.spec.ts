import { test, expect, Page } from "@playwright/test";
import { createRoom, hydrated, joinRoom, png, signUp, uniqueName } from "./helpers";

// Files in messages (issue 18): a picture attached by the button and a
// file by pasting, each with its progress bar while it uploads; an upload
// cancelled; the other person sees the thumbnail at its size and
// downloads the file.

function composer(page: Page) {
  return page.getByRole("textbox", { name: "Message" });
}

/** Holds each upload back `ms` before it reaches the real server, so its
 * progress can be seen. */
async function slowUploads(page: Page, ms: number) {
  await page.route("**/api/rooms/*/attachments", async (route) => {
    await new Promise((r) => setTimeout(r, ms));
    await route.continue();
  });
}

test("a picture by the button and a file by paste reach the other person", async ({ browser }) => {
  const ali = await (await browser.newContext()).newPage();
  await signUp(ali, uniqueName("ali"));
  const link = await createRoom(ali, "Plans");
  const bob = await (await browser.newContext()).newPage();
  await signUp(bob, uniqueName("bob"));
  await joinRoom(bob, link);
  await ali.reload();
  await hydrated(ali);

  await slowUploads(ali, 1500);
  // By the button: the browser's file picker.
  const [chooser] = await Promise.all([
    ali.waitForEvent("filechooser"),
    ali.getByRole("button", { name: "Attach file" }).click(),
  ]);
  await chooser.setFiles({ name: "chart.png", mimeType: "image/png", buffer: png(800, 600) });
  const uploads = ali.getByRole("list", { name: "Attached files" });
  await expect(uploads.getByRole("progressbar", { name: "Uploading chart.png" })).toBeVisible();
  await expect(uploads.getByRole("button", { name: "Cancel upload" })).toBeVisible();
  await expect(uploads.getByRole("progressbar")).toHaveCount(0, { timeout: 15_000 });
  await expect(uploads).toContainText("chart.png");

  // By pasting into the composer.
  await composer(ali).evaluate((el) => {
    const data = new DataTransfer();
    data.items.add(new File(["1. budget\n2. dates\n"], "agenda.txt", { type: "text/plain" }));
    el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await expect(uploads.getByRole("progressbar", { name: "Uploading agenda.txt" })).toBeVisible();
  await expect(uploads.getByRole("progressbar")).toHaveCount(0, { timeout: 15_000 });

  // A third, cancelled while it runs: gone, and not sent.
  const [again] = await Promise.all([
    ali.waitForEvent("filechooser"),
    ali.getByRole("button", { name: "Attach file" }).click(),
  ]);
  await again.setFiles({ name: "draft.txt", mimeType: "text/plain", buffer: Buffer.from("draft") });
  await uploads.getByRole("button", { name: "Cancel upload" }).click();
  await expect(uploads).not.toContainText("draft.txt");

  await composer(ali).fill("the plan");
  await composer(ali).press("Enter");
  await expect(composer(ali)).toHaveValue("");
  await expect(uploads.getByRole("listitem")).toHaveCount(0);

  // Bob sees the thumbnail, sized before it loads, and the file's link.
  const message = bob.locator(".message", { hasText: "the plan" });
  const thumb = message.getByRole("img", { name: "chart.png" });
  await expect(thumb).toBeVisible();
  await expect(thumb).toHaveAttribute("width", "400");
  await expect(thumb).toHaveAttribute("height", "300");
  expect(await thumb.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(400);
  await expect(message).not.toContainText("draft.txt");
  const full = await message.getByRole("link", { name: "chart.png" }).getAttribute("href");
  const res = await bob.request.get(full!);
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toBe("image/png");

  const [download] = await Promise.all([
    bob.waitForEvent("download"),
    message.getByRole("link", { name: "agenda.txt" }).click(),
  ]);
  expect(download.suggestedFilename()).toBe("agenda.txt");
  const path = await download.path();
  const { readFileSync } = await import("node:fs");
  expect(readFileSync(path!, "utf8")).toBe("1. budget\n2. dates\n");
});
