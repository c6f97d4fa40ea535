import { expect, Locator, Page } from "@playwright/test";
import { deflateSync } from "node:zlib";

let counter = 0;

/** A username unique to this run, so tests never collide. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`.slice(0, 32);
}

/** Waits until the WASM has hydrated the page. */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

/** Signs a new person up through the form and waits for the home page. */
export async function signUp(page: Page, name: string, password = "password123"): Promise<void> {
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("button", { name: "Log out" })).toBeVisible();
}

/** Collects console errors and page errors, to assert there were none. */
export function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  page.on("pageerror", (err) => errors.push(err.message));
  return errors;
}

/** Creates a room from the home page and returns its link once hydrated. */
export async function createRoom(page: Page, name: string): Promise<string> {
  await page.goto("/");
  await hydrated(page);
  await page.getByLabel("Room name").fill(name);
  await page.getByRole("button", { name: "Create room" }).click();
  await expect(page).toHaveURL(/\/r\//);
  await hydrated(page);
  return page.url();
}

/** The room's public id, from its link. */
export function roomId(link: string): string {
  return new URL(link).pathname.split("/").pop()!;
}

/**
 * Sends messages over a second websocket opened from the page (a real
 * client of the real protocol, as another tab would be), waiting for every
 * acknowledgement.
 */
export async function sendOverSocket(page: Page, room: string, bodies: string[]): Promise<void> {
  await page.evaluate(
    async ({ room, bodies }) => {
      const ws = new WebSocket(`ws://${location.host}/ws`);
      await new Promise<void>((resolve, reject) => {
        const pending = new Set<string>();
        ws.onerror = () => reject(new Error("websocket failed"));
        ws.onmessage = (ev) => {
          const event = JSON.parse(ev.data);
          if (event.type === "hello") {
            for (const body of bodies) {
              const id = crypto.randomUUID();
              pending.add(id);
              ws.send(JSON.stringify({ type: "send", room, client_msg_id: id, body }));
            }
          } else if (event.type === "ack") {
            pending.delete(event.client_msg_id);
            if (pending.size === 0) resolve();
          } else if (event.type === "error") {
            reject(new Error(event.message));
          }
        };
      });
      ws.close();
    },
    { room, bodies },
  );
}

/**
 * The button of a menu (`<details>`/`<summary>`, see room/menu.rs) named
 * `name`: the summary whose text, visible or for screen readers only, is
 * exactly that name. Playwright gives a summary no role, so it is found by
 * its text; its accessible name is checked where menus are tested.
 */
export function menuButton(scope: Page | Locator, name: string): Locator {
  const page = "page" in scope ? scope.page() : scope;
  return scope.locator("summary").filter({ has: page.getByText(name, { exact: true }) });
}

/** Opens the menu named `name` unless it is open already. */
export async function openMenu(scope: Page | Locator, name: string): Promise<void> {
  const button = menuButton(scope, name);
  const open = await button.evaluate((el) => (el.parentElement as HTMLDetailsElement).open);
  if (!open) await button.click();
}

/** Opens a room's link and joins it, waiting for the composer. */
export async function joinRoom(page: Page, link: string): Promise<void> {
  await page.goto(link);
  await hydrated(page);
  await page.getByRole("button", { name: "Join room" }).click();
  await expect(page.getByRole("textbox", { name: "Message" })).toBeVisible();
}

/** A small valid PNG (solid colour), made here so no fixture file is needed. */
export function png(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x5a)]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
