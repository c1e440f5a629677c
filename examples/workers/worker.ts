// A small Socket.IO chat on Cloudflare Workers: `npx wrangler dev` locally, `npx wrangler deploy`
// to ship it. The Socket.IO server lives in a Durable Object (a plain Worker cannot keep a
// WebSocket or a long-polling request between requests); the Worker routes every request of a
// session to it. wrangler.toml binds the object as SOCKET_IO.
import type { Server } from "@edgeio/edgeio";
import { routeToDurableObject, SocketIODurableObject } from "@edgeio/edgeio/workers";

export class ChatRoom extends SocketIODurableObject {
  protected override setup(io: Server): void {
    io.on("connection", (socket) => {
      // "join" (room, ack): enter a room; the ack answers with the room's name.
      socket.on("join", (room: unknown, ack?: (room: string) => void) => {
        if (typeof room !== "string" || room.length > 64) return;
        socket.join(room);
        ack?.(room);
      });
      // "message" (room, text, ack): everyone else in the room gets it; the ack confirms.
      socket.on(
        "message",
        (room: unknown, text: unknown, ack?: (answer: { ok: boolean }) => void) => {
          if (typeof room !== "string" || typeof text !== "string" || !socket.rooms.has(room)) {
            return ack?.({ ok: false });
          }
          socket.to(room).emit("message", { room, from: socket.id, text });
          ack?.({ ok: true });
        },
      );
    });
  }
}

// One object holds every session, so rooms need no adapter. With `{ shards: 4 }` sessions spread
// over four objects, which then share rooms through createUpstashAdapter().
const route = routeToDurableObject("SOCKET_IO");

export default {
  fetch(request: Request, env: Record<string, unknown>): Promise<Response> | Response {
    if (new URL(request.url).pathname.startsWith("/socket.io/")) return route(request, env);
    return new Response("edgeio chat: connect a Socket.IO client to this origin\n");
  },
};
