// The hibernation fixture: two hibernating Socket.IO Durable Objects, SlowRooms (pingInterval
// 15 s, above workerd's 10 s idle eviction, so it is evicted between heartbeats) and FastRooms
// (pingInterval 1 s, for heartbeat timing); `?do=fast` on the URL picks FastRooms, `?do=v2` a
// second SlowRooms object. Each instance
// names itself in its constructor and keeps an in-memory value, so the test can tell an eviction.
import type { IoServerOptions, Server } from "../../server/mod.ts";
import {
  HibernatingSocketIODurableObject,
  routeToDurableObject,
} from "../../server/runtime/workers.ts";

class Rooms extends HibernatingSocketIODurableObject {
  readonly instance = crypto.randomUUID().slice(0, 8);
  memo = "fresh";
  connections = 0;

  protected override setup(io: Server): void {
    io.on("connection", (socket) => {
      this.connections++;
      socket.on("error", (error: Error) => socket.emit("failed", error.name, error.message));
      socket.on("join", (room: string, ack: (rooms: string[]) => void) => {
        socket.join(room);
        ack([...socket.rooms].filter((r) => r !== socket.id).sort());
      });
      socket.on("set", (data: unknown, ack: () => void) => {
        socket.data = data;
        ack();
      });
      // Async work that changes socket.data and sends nothing (saved a second later).
      socket.on("later", (value: string) => {
        setTimeout(() => socket.data = { ...socket.data, later: value }, 50);
      });
      // Async work that outlasts the save a second after the message, changes socket.data, then
      // answers (saved with the answer).
      socket.on("slowly", async (value: string, ack: () => void) => {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        socket.data = { ...socket.data, slowly: value };
        ack();
      });
      socket.on("memo", (memo: string, ack: () => void) => {
        this.memo = memo;
        ack();
      });
      socket.on("whoami", (ack: (state: unknown) => void) => {
        ack({
          instance: this.instance,
          memo: this.memo,
          connections: this.connections,
          recovered: socket.recovered,
          id: socket.id,
          sid: socket.conn.id,
          data: socket.data,
          rooms: [...socket.rooms].filter((r) => r !== socket.id).sort(),
          size: io.engine.clientsCount,
          issued: socket.handshake.issued,
          query: socket.handshake.query.do,
        });
      });
      socket.on("say", (room: string, text: string, ack: (n: number) => void) => {
        socket.to(room).emit("said", room, text, socket.data?.name ?? null);
        ack(io.sockets.adapter.rooms.get(room)?.size ?? 0);
      });
      socket.on("ask", (ack: (answer: unknown) => void) => {
        socket.timeout(5000).emit("question", "ping?", (error: Error | null, answer: unknown) => {
          ack(error ? `error: ${error.message}` : answer);
        });
      });
    });
  }
}

export class SlowRooms extends Rooms {
  protected override serverOptions(): IoServerOptions {
    return { pingInterval: 15000, pingTimeout: 5000, allowEIO3: true };
  }
}

export class FastRooms extends Rooms {
  protected override serverOptions(): IoServerOptions {
    return { pingInterval: 1000, pingTimeout: 500 };
  }
}

const slow = routeToDurableObject("SLOW");
const fast = routeToDurableObject("FAST");
// Another SlowRooms object (shard "1"), for Socket.IO v2 clients, whose pings come on their own.
const v2 = routeToDurableObject("SLOW", { shards: 2, pickShard: () => 1 });

export default {
  fetch(request: Request, env: Record<string, unknown>): Promise<Response> {
    const object = new URL(request.url).searchParams.get("do");
    const route = object === "fast" ? fast : object === "v2" ? v2 : slow;
    return route(request, env);
  },
};
