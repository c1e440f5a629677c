// A small Socket.IO chat on Cloudflare Workers: `npx wrangler dev` locally, `npx wrangler deploy`
// to ship it. The Socket.IO server lives in a Durable Object (a plain Worker cannot keep a
// WebSocket or a long-polling request between requests); the Worker routes every request of a
// session to it. wrangler.toml binds the object as SOCKET_IO.
//
// Without Upstash credentials one object holds every session. With UPSTASH_REDIS_REST_URL and
// UPSTASH_REDIS_REST_TOKEN set (wrangler secrets, or .dev.vars for `wrangler dev`), sessions are
// spread over SHARDS objects ([vars] in wrangler.toml) that share rooms, broadcasts and acks
// through the Upstash adapter.
import type { IoServerOptions, Server } from "@edgeio/edgeio";
import { createUpstashAdapter } from "@edgeio/edgeio/adapter/upstash";
import { routeToDurableObject, shardByQuery, SocketIODurableObject } from "@edgeio/edgeio/workers";

type Env = Record<string, unknown>;

/** The Upstash credentials, when both are set. */
function upstash(env: Env): { url: string; token: string } | undefined {
  const url = env.UPSTASH_REDIS_REST_URL;
  const token = env.UPSTASH_REDIS_REST_TOKEN;
  return typeof url === "string" && url !== "" && typeof token === "string" && token !== ""
    ? { url, token }
    : undefined;
}

export class ChatRoom extends SocketIODurableObject {
  protected override serverOptions(env: Env): IoServerOptions {
    const credentials = upstash(env);
    return credentials ? { adapter: createUpstashAdapter(credentials) } : {};
  }

  protected override setup(io: Server): void {
    // The adapter reports what it could not deliver (the store unreachable, messages given up).
    io.of("/").adapter.on("error", (error: Error) => {
      // deno-lint-ignore no-console -- shows up in `wrangler tail`
      console.error(`Upstash adapter: ${error.message}`);
    });
    io.on("connection", (socket) => {
      // "join" (room, ack): enter a room; the ack answers with the room's name.
      socket.on("join", (room: unknown, ack?: (room: string) => void) => {
        if (typeof room !== "string" || room.length > 64) return;
        socket.join(room);
        ack?.(room);
      });
      // "message" (room, text, ack): everyone else in the room gets it, on whichever object
      // they are; the ack confirms.
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

// One router per shard count (the env is only known in a request).
const routes = new Map<number, ReturnType<typeof routeToDurableObject>>();

function route(env: Env): ReturnType<typeof routeToDurableObject> {
  const shards = upstash(env) ? Number(env.SHARDS ?? 1) : 1;
  let handler = routes.get(shards);
  if (!handler) {
    // A client that connects with `?room=<name>` lands on that room's object, so a room's
    // members usually share one; any other lands on a random object. Rooms work either way.
    handler = routeToDurableObject("SOCKET_IO", { shards, shardKey: shardByQuery("room") });
    routes.set(shards, handler);
  }
  return handler;
}

export default {
  fetch(request: Request, env: Env): Promise<Response> | Response {
    if (new URL(request.url).pathname.startsWith("/socket.io/")) return route(env)(request, env);
    return new Response("edgeio chat: connect a Socket.IO client to this origin\n");
  },
};
