// The chat page: one Socket.IO connection (the global `io` from /socket.io/socket.io.min.js),
// a nickname and a room, and what the server sends. Uses the public socket.io-client API only.
import { ChatView } from "./ui.js";

const MAX_IMAGE_BYTES = 1024 * 1024;
const ACK_TIMEOUT_MS = 5000;
const $ = (id) => document.getElementById(id);

const view = new ChatView();
const state = { nick: localStorage.getItem("nick") ?? "", room: "", wanted: "", rooms: [] };
const socket = io({ reconnectionDelay: 500, reconnectionDelayMax: 2000 });
// Reachable from the console and from the browser test (`socket.io.engine.close()`).
globalThis.socket = socket;

/**
 * Emits with an ack and a timeout; resolves to the server's reply or an error to show. `apply`
 * runs as the ack arrives, before any event decoded after it (a polling response carries many).
 */
function request(event, payload, apply = (reply) => reply) {
  return new Promise((resolve) => {
    socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (timedOut, reply) => {
      const error = socket.connected ? "The server did not answer." : "Not connected.";
      resolve(apply(timedOut ? { ok: false, error } : reply));
    });
  });
}

function join(nick, room) {
  return request("join", { nick, room }, (reply) => {
    if (!reply.ok) return reply;
    if (reply.room !== state.room) view.clear();
    state.nick = reply.nick;
    state.room = reply.room;
    state.wanted = reply.room;
    localStorage.setItem("nick", reply.nick);
    $("room-title").textContent = `#${reply.room}`;
    document.title = `#${reply.room} · edgeio chat`;
    for (const entry of reply.history) view.add(entry, state.nick);
    view.rooms(state.rooms, state.room, switchRoom);
    return reply;
  });
}

async function switchRoom(room) {
  if (room === state.room) return;
  const reply = await join(state.nick, room);
  $("send-error").textContent = reply.ok ? "" : reply.error;
}

// Connection ---------------------------------------------------------------------------------

socket.on("connect", () => {
  view.status("online", "online");
  if (socket.recovered) {
    view.local("Reconnected: caught up on what you missed.");
  } else if (state.nick && state.wanted) {
    // A new session (the server restarted, or the break outlived recovery): join again.
    join(state.nick, state.wanted).then((reply) => {
      view.local(reply.ok ? "Reconnected." : `Could not rejoin: ${reply.error}`);
    });
  }
});
socket.on("disconnect", () => view.status("offline", "reconnecting…"));
socket.on("connect_error", () => view.status("offline", "offline, retrying…"));

// Server events ------------------------------------------------------------------------------

socket.on("entry", (entry) => {
  if (entry.room === state.room) view.add(entry, state.nick);
});
socket.on("image", (image) => {
  if (image.room === state.room) view.image(image, state.nick);
});
socket.on("presence", ({ room, members }) => {
  if (room === state.room) view.members(room, members, state.nick);
});
socket.on("typing", ({ room, nick, typing }) => {
  if (room === state.room && nick !== state.nick) view.typing(nick, typing);
});
socket.on("rooms", (rooms) => {
  state.rooms = rooms;
  view.rooms(rooms, state.room, switchRoom);
});

// Forms --------------------------------------------------------------------------------------

const dialog = $("join-dialog");
$("nick").value = state.nick;
dialog.addEventListener("cancel", (event) => event.preventDefault());
dialog.showModal();

$("join-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const reply = await join($("nick").value, $("room").value);
  $("join-error").textContent = reply.ok ? "" : reply.error;
  if (reply.ok) {
    dialog.close();
    $("text").focus();
  }
});

$("room-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const room = $("new-room").value;
  const reply = await join(state.nick, room);
  $("send-error").textContent = reply.ok ? "" : reply.error;
  if (reply.ok) $("new-room").value = "";
});

let typing = false;
let typingTimer;
function setTyping(on) {
  clearTimeout(typingTimer);
  if (on) typingTimer = setTimeout(() => setTyping(false), 1500);
  if (on === typing || !state.room) return;
  typing = on;
  socket.emit("typing", on);
}
$("text").addEventListener("input", () => setTyping($("text").value.length > 0));

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("text").value;
  if (!text.trim()) return;
  setTyping(false);
  const reply = await request("message", text);
  $("send-error").textContent = reply.ok ? "" : reply.error;
  if (reply.ok) $("text").value = "";
});

$("image").addEventListener("change", async () => {
  const file = $("image").files[0];
  $("image").value = "";
  if (!file) return;
  let error = "";
  if (file.size > MAX_IMAGE_BYTES) {
    error = `Image is too large (${Math.ceil(file.size / 1024)} KiB; at most 1024 KiB).`;
  } else {
    const reply = await request("image", { type: file.type, data: await file.arrayBuffer() });
    if (!reply.ok) error = reply.error;
  }
  $("send-error").textContent = error;
});
