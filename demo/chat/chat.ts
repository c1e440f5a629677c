// The chat itself: nicknames, rooms, presence, typing, history and shared images, on a Socket.IO
// server. Everything a page sends is checked (validate.ts) and answered through its ack.

import type { Server, Socket } from "../../mod.ts";
import { History } from "./history.ts";
import type {
  ChatEntry,
  ClientEvents,
  Joined,
  Reply,
  RoomInfo,
  ServerEvents,
  SocketData,
} from "./types.ts";
import { checkImage, checkMessage, checkNick, checkRoom } from "./validate.ts";

/** The chat's server, typed by its events. */
export type ChatServer = Server<ClientEvents, ServerEvents, Record<never, never>, SocketData>;
type ChatSocket = Socket<ClientEvents, ServerEvents, Record<never, never>, SocketData>;

// A page that drops and comes back within this time (connection state recovery) is not
// announced as gone; presence lists drop it at once all the same.
const LEAVE_GRACE_MS = 5000;

/**
 * Attaches the chat to a server.
 *
 * @returns `close`, which cancels the pending leave notices (call it after `io.close()`).
 */
export function attachChat(io: ChatServer): { close(): void } {
  const history = new History();
  const leaving = new Map<string, ReturnType<typeof setTimeout>>();

  const rooms = (): RoomInfo[] => {
    const { rooms, sids } = io.sockets.adapter;
    return [...rooms]
      .filter(([name]) => !sids.has(name)) // a socket's own-id room is not a chat room
      .map(([name, members]) => ({ name, count: members.size }))
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  };
  const publishRooms = () => io.emit("rooms", rooms());
  const publishPresence = async (room: string) => {
    const sockets = await io.in(room).fetchSockets();
    const members = new Set(sockets.map((socket) => socket.data.nick ?? "").filter(Boolean));
    io.to(room).emit("presence", { room, members: [...members].sort() });
  };
  const notice = (room: string, text: string) => {
    const entry: ChatEntry = {
      kind: "notice",
      id: crypto.randomUUID(),
      room,
      ts: Date.now(),
      text,
    };
    history.add(entry);
    io.to(room).emit("entry", entry);
  };
  const cancelLeave = (id: string): boolean => {
    const timer = leaving.get(id);
    if (timer === undefined) return false;
    clearTimeout(timer);
    leaving.delete(id);
    return true;
  };

  const join = async (socket: ChatSocket, request: unknown): Promise<Reply<Joined>> => {
    const given = typeof request === "object" && request !== null
      ? request as { nick?: unknown; room?: unknown }
      : {};
    const nick = checkNick(given.nick);
    if ("error" in nick) return { ok: false, error: nick.error };
    const room = checkRoom(given.room);
    if ("error" in room) return { ok: false, error: room.error };
    const before = { ...socket.data };
    if (before.room !== undefined && before.room !== room.value) {
      await socket.leave(before.room);
      io.to(before.room).emit("typing", {
        room: before.room,
        nick: before.nick ?? "",
        typing: false,
      });
      notice(before.room, `${before.nick} went to #${room.value}`);
      await publishPresence(before.room);
    }
    socket.data.nick = nick.value;
    socket.data.room = room.value;
    await socket.join(room.value);
    return { ok: true, room: room.value, nick: nick.value, history: history.of(room.value) };
  };

  io.on("connection", (socket: ChatSocket) => {
    socket.emit("rooms", rooms());
    const { nick, room } = socket.data;
    if (socket.recovered && nick !== undefined && room !== undefined) {
      // Back after a short disconnect: recovery restored its rooms and data, and delivers what
      // it missed. Only a page already announced as gone is announced again.
      if (!cancelLeave(socket.id)) notice(room, `${nick} is back`);
      publishPresence(room);
      publishRooms();
    }

    socket.on("join", async (request, ack) => {
      const before = { ...socket.data };
      const reply = await join(socket, request);
      if (typeof ack === "function") ack(reply);
      if (!reply.ok) return;
      if (before.room !== reply.room) notice(reply.room, `${reply.nick} joined`);
      else if (before.nick !== reply.nick) {
        notice(reply.room, `${before.nick} is now ${reply.nick}`);
      }
      await publishPresence(reply.room);
      publishRooms();
    });

    socket.on("message", (text, ack) => {
      const reply = typeof ack === "function" ? ack : () => {};
      const { nick, room } = socket.data;
      if (nick === undefined || room === undefined) {
        return reply({ ok: false, error: "Join a room first." });
      }
      const checked = checkMessage(text);
      if ("error" in checked) return reply({ ok: false, error: checked.error });
      const entry: ChatEntry = {
        kind: "text",
        id: crypto.randomUUID(),
        room,
        nick,
        ts: Date.now(),
        text: checked.value,
      };
      history.add(entry);
      io.to(room).emit("entry", entry);
      reply({ ok: true });
    });

    socket.on("image", (image, ack) => {
      const reply = typeof ack === "function" ? ack : () => {};
      const { nick, room } = socket.data;
      if (nick === undefined || room === undefined) {
        return reply({ ok: false, error: "Join a room first." });
      }
      const checked = checkImage(image);
      if ("error" in checked) return reply({ ok: false, error: checked.error });
      const entry = {
        kind: "image" as const,
        id: crypto.randomUUID(),
        room,
        nick,
        ts: Date.now(),
        type: checked.value.type,
      };
      history.add(entry); // the bytes are relayed, not kept
      io.to(room).emit("image", { ...entry, data: checked.value.data });
      reply({ ok: true });
    });

    socket.on("typing", (typing) => {
      const { nick, room } = socket.data;
      if (nick === undefined || room === undefined) return;
      socket.to(room).volatile.emit("typing", { room, nick, typing: typing === true });
    });

    socket.on("disconnect", () => {
      const { nick, room } = socket.data;
      if (nick === undefined || room === undefined) return;
      io.to(room).emit("typing", { room, nick, typing: false });
      publishPresence(room);
      publishRooms();
      cancelLeave(socket.id);
      leaving.set(
        socket.id,
        setTimeout(() => {
          leaving.delete(socket.id);
          notice(room, `${nick} left`);
        }, LEAVE_GRACE_MS),
      );
    });
  });

  return {
    close() {
      for (const timer of leaving.values()) clearTimeout(timer);
      leaving.clear();
    },
  };
}
