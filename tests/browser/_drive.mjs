// Drives the chat demo in headless Chromium for tests/browser/demo_test.ts. Runs under Node
// (playwright-core needs more of Node's `os` than `deno test` is allowed to touch) and talks
// JSON lines: it prints {type:"fact",name,value} as it observes the pages, {type:"need",what:
// "restart"} when the test should restart the server (answered with a line on stdin), then
// {type:"done"} or {type:"error",step,message}.
//
// env: DEMO_URL (the demo), SHOT_DIR (where screenshots go), CHROMIUM (the browser),
// SCREENSHOT_OUT (optional: also save the showcase screenshot there).
import { Buffer } from "node:buffer";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import process from "node:process";
import { chromium } from "playwright-core";

const URL_ = process.env.DEMO_URL;
const SHOT_DIR = process.env.SHOT_DIR;
const WAIT = { timeout: 10000 };
const say = (message) => process.stdout.write(JSON.stringify(message) + "\n");
const fact = (name, value) => say({ type: "fact", name, value });

const stdin = createInterface({ input: process.stdin });
const lines = stdin[Symbol.asyncIterator]();
async function need(what) {
  say({ type: "need", what });
  const { value, done } = await lines.next();
  if (done || value.trim() !== "ok") throw new Error(`the test did not ${what}: ${value}`);
}

async function open(nick, room) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  pages.push(page);
  page.on("pageerror", (error) => fact("pageerror", `${nick}: ${error.message}`));
  await page.goto(URL_);
  await page.evaluate(recordActivity);
  await page.fill("#nick", nick);
  await page.fill("#room", room);
  await page.click("#join-form button[type=submit]");
  await page.waitForFunction(
    (room) => document.querySelector("#room-title").textContent === `#${room}`,
    room,
    WAIT,
  );
  // Typing into the page while its modal dialog is still closing can lose the text: wait for a
  // frame drawn with the dialog gone and the message field focused.
  await page.waitForFunction(
    () => !document.querySelector("#join-dialog").open && document.activeElement?.id === "text",
    null,
    { ...WAIT, polling: "raf" },
  );
  return page;
}

/** Keeps a log of the page's connection, packets and form events, reported when a step fails. */
function recordActivity() {
  const log = (globalThis.activityLog = []);
  const note = (event) => (...args) =>
    log.push(`${Date.now() % 100000} ${event} ${args.join(" ")}`.slice(0, 160));
  const hookEngine = () => {
    const engine = socket.io.engine;
    engine.on("upgrade", () => note("upgrade")(engine.transport.name));
    engine.on("packet", (packet) => note("in")(packet.type, packet.data));
    engine.on("packetCreate", (packet) => note("out")(packet.type, packet.data));
  };
  hookEngine();
  socket.io.on("open", hookEngine);
  socket.on("connect", () => note("connect")(socket.id, `recovered=${socket.recovered}`));
  socket.on("disconnect", note("disconnect"));
  socket.on("connect_error", (error) => note("connect_error")(error.message));
  for (const type of ["keydown", "input", "submit", "focusin"]) {
    document.addEventListener(type, (event) => {
      const target = event.target.id || event.target.tagName;
      note(type)(target, event.key ?? event.target.value ?? "");
    }, true);
  }
}

/** Writes a message in the composer and sends it with Enter. */
async function send(page, text) {
  await page.fill("#text", text);
  const typed = await page.inputValue("#text");
  if (typed !== text) throw new Error(`the message field holds ${JSON.stringify(typed)}`);
  await page.press("#text", "Enter");
}

const texts = (page, selector) =>
  page.$$eval(selector, (nodes) => nodes.map((node) => node.textContent.trim()));
const waitText = (page, selector, text) =>
  page.locator(selector, { hasText: text }).first().waitFor(WAIT);
const waitMembers = (page, members) =>
  page.waitForFunction(
    (members) =>
      [...document.querySelectorAll("#members li")].map((li) => li.textContent).join() ===
        members.join(),
    members,
    WAIT,
  );

/** Paints a small landscape on a canvas in the page; returns it as base64 PNG. */
function paintPicture() {
  const canvas = document.createElement("canvas");
  canvas.width = 480;
  canvas.height = 270;
  const g = canvas.getContext("2d");
  const sky = g.createLinearGradient(0, 0, 0, 270);
  sky.addColorStop(0, "#4f46e5");
  sky.addColorStop(0.6, "#f472b6");
  sky.addColorStop(1, "#fbbf24");
  g.fillStyle = sky;
  g.fillRect(0, 0, 480, 270);
  g.fillStyle = "#fff7d6";
  g.beginPath();
  g.arc(330, 170, 48, 0, Math.PI * 2);
  g.fill();
  g.fillStyle = "#1e1b4b";
  g.beginPath();
  g.moveTo(0, 270);
  g.lineTo(0, 200);
  g.lineTo(120, 130);
  g.lineTo(230, 210);
  g.lineTo(320, 160);
  g.lineTo(480, 230);
  g.lineTo(480, 270);
  g.fill();
  return canvas.toDataURL("image/png").split(",")[1];
}

async function run() {
  step = "join";
  const alice = await open("Alice", "random");
  const bob = await open("Bob", "lobby");
  await send(bob, "hello from Bob");
  await waitText(bob, "#messages .entry.text", "hello from Bob");
  await waitText(alice, "#rooms .room", "#lobby");
  fact("rooms seen by Alice", await texts(alice, "#rooms .room"));

  step = "switch room";
  await alice.locator("#rooms .room", { hasText: "#lobby" }).click();
  await alice.waitForFunction(() => document.querySelector("#room-title").textContent === "#lobby");
  await waitText(alice, "#messages .entry.text", "hello from Bob"); // from the history
  fact("history seen by Alice", await texts(alice, "#messages .entry.text .text"));
  await waitMembers(bob, ["Alice", "Bob"]);
  await waitMembers(alice, ["Alice", "Bob"]);
  fact("presence seen by Bob", await texts(bob, "#members li"));
  await waitText(bob, "#messages .notice", "Alice joined");
  fact("notices seen by Bob", await texts(bob, "#messages .notice"));

  step = "typing";
  await bob.locator("#text").pressSequentially("hi Ali", { delay: 20 });
  await waitText(alice, "#typing", "Bob is typing");
  fact("typing seen by Alice", (await alice.textContent("#typing")).trim());

  step = "chat";
  await bob.locator("#text").pressSequentially("ce!", { delay: 20 });
  await bob.click("#composer button[type=submit]");
  await waitText(alice, "#messages .entry.text", "hi Alice!");
  await alice.waitForFunction(
    () => document.querySelector("#typing").textContent === "",
    null,
    WAIT,
  );
  await send(alice, "hey Bob, have a picture");
  await waitText(bob, "#messages .entry.text", "hey Bob, have a picture");
  fact("messages seen by Alice", await texts(alice, "#messages .entry.text .text"));
  fact("messages seen by Bob", await texts(bob, "#messages .entry.text .text"));

  step = "validation";
  fact(
    "server replies to bad input",
    await alice.evaluate(async () => [
      await socket.emitWithAck("message", "x".repeat(501)),
      await socket.emitWithAck("message", "   "),
      await socket.emitWithAck("join", { nick: "", room: "lobby" }),
      await socket.emitWithAck("join", { nick: "Alice", room: "no/slashes" }),
      await socket.emitWithAck("image", { type: "text/html", data: new ArrayBuffer(4) }),
      await socket.emitWithAck("image", { type: "image/png", data: new ArrayBuffer(1048577) }),
    ]),
  );
  await alice.setInputFiles("#image", {
    name: "big.png",
    mimeType: "image/png",
    buffer: Buffer.alloc(1024 * 1024 + 1),
  });
  await waitText(alice, "#send-error", "too large");
  fact("oversized image error", (await alice.textContent("#send-error")).trim());

  step = "image";
  const png = Buffer.from(await alice.evaluate(paintPicture), "base64");
  await alice.setInputFiles("#image", { name: "shot.png", mimeType: "image/png", buffer: png });
  const image = await bob.waitForFunction(
    () => {
      const img = document.querySelector("#messages img.shared");
      return img?.complete && img.naturalWidth > 0
        ? { src: img.src, width: img.naturalWidth, height: img.naturalHeight }
        : null;
    },
    null,
    WAIT,
  );
  fact("image seen by Bob", await image.jsonValue());
  await bob.waitForTimeout(200); // let the picture settle into the layout
  const showcase = await bob.screenshot({ path: `${SHOT_DIR}/demo.png` });
  if (process.env.SCREENSHOT_OUT) {
    await mkdir(dirname(process.env.SCREENSHOT_OUT), { recursive: true });
    await writeFile(process.env.SCREENSHOT_OUT, showcase);
  }
  fact("screenshot", `${SHOT_DIR}/demo.png`);

  step = "short disconnect";
  // Reconnection is held back while Bob writes, so the messages surely go out while Alice is away.
  await alice.evaluate(() => {
    socket.io.reconnection(false);
    socket.io.engine.close();
  });
  await alice.waitForFunction(() => !socket.connected, null, WAIT);
  for (const text of ["missed one", "missed two"]) {
    await send(bob, text);
    await waitText(bob, "#messages .entry.text", text);
  }
  fact("Alice connected while Bob wrote", await alice.evaluate(() => socket.connected));
  await alice.evaluate(() => {
    socket.io.reconnection(true);
    socket.connect();
  });
  await alice.waitForFunction(() => socket.connected, null, WAIT);
  await waitText(alice, "#messages .entry.text", "missed two");
  fact("Alice recovered", await alice.evaluate(() => socket.recovered));
  fact("messages seen by Alice after the break", await texts(alice, "#messages .entry.text .text"));
  await waitMembers(bob, ["Alice", "Bob"]);

  step = "server restart";
  // The official client 4.8 leaves long-polling paused for good when a WebSocket probe fails
  // after polling was paused for the upgrade (until its 45 s ping timeout): stopping the server
  // in that instant would strand a page, so the pages settle on WebSocket first.
  for (const page of [alice, bob]) {
    await page.waitForFunction(() => socket.io.engine?.transport?.name === "websocket", null, WAIT);
  }
  await need("restart");
  await alice.waitForFunction(
    () => socket.connected && !socket.recovered,
    null,
    { timeout: 15000 },
  );
  await waitText(alice, "#messages .notice.local", "Reconnected.");
  await bob.waitForFunction(() => socket.connected, null, { timeout: 15000 });
  await waitMembers(alice, ["Alice", "Bob"]);
  fact("presence seen by Alice after the restart", await texts(alice, "#members li"));
  await send(alice, "back after the restart");
  await waitText(bob, "#messages .entry.text", "back after the restart");
  fact("Bob's title after the restart", await bob.textContent("#room-title"));
  fact("messages seen by Bob after the restart", await texts(bob, "#messages .entry.text .text"));
}

let step = "launch";
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const pages = [];
try {
  await run();
  say({ type: "done" });
} catch (error) {
  say({ type: "error", step, message: String(error?.stack ?? error) });
  for (const [i, page] of pages.entries()) {
    await page.screenshot({ path: `${SHOT_DIR}/failure-${i}.png` }).catch(() => {});
    const state = await page.evaluate(() => ({
      connected: socket.connected,
      recovered: socket.recovered,
      transport: socket.io.engine?.transport?.name,
      active: document.activeElement?.id || document.activeElement?.tagName,
      text: document.querySelector("#text").value,
      nick: document.querySelector("#nick").value,
      dialog: document.querySelector("#join-dialog").open,
      log: globalThis.activityLog,
    })).catch((error) => String(error));
    say({ type: "fact", name: `page ${i} at failure`, value: state });
  }
  process.exitCode = 1;
} finally {
  await browser.close();
  stdin.close();
}
