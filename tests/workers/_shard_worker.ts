// A Worker for tests/workers/shards_test.ts: a Socket.IO server in a Durable Object, sharded by
// the `shard` query parameter over SHARDS objects that share everything through the Upstash
// adapter (UPSTASH_URL/UPSTASH_TOKEN bindings, KEY as the channel prefix; RECOVERY=1 turns
// connection state recovery on). Each event below
// exercises one cross-object feature; every answer says which shard answered.
import type { Handshake, IoServerOptions, Server, Socket } from "../../server/mod.ts";
import { createUpstashAdapter } from "../../adapter/upstash.ts";
import {
  routeToDurableObject,
  SHARD_HEADER,
  shardByQuery,
  SocketIODurableObject,
} from "../../server/runtime/workers.ts";

type Env = Record<string, unknown>;
type Ack = (answer: unknown) => void;

export class Shard extends SocketIODurableObject {
  protected override serverOptions(env: Env): IoServerOptions {
    return {
      adapter: createUpstashAdapter({
        url: String(env.UPSTASH_URL),
        token: String(env.UPSTASH_TOKEN),
        key: String(env.KEY),
        heartbeatInterval: 1000,
        requestsTimeout: 3000,
      }),
      ...env.RECOVERY === "1"
        ? { connectionStateRecovery: { maxDisconnectionDuration: 10_000 } }
        : {},
    };
  }

  protected override setup(io: Server): void {
    const shardOf = (socket: Socket) => socket.handshake.headers[SHARD_HEADER] ?? "?";
    io.of("/").adapter.on("error", (error: Error) => {
      // deno-lint-ignore no-console -- surfaces adapter failures in the test's output
      console.error(`adapter error: ${error.message}`);
    });
    // A server-side event: answers with the shards of this object's sockets.
    io.sockets.on("ping", (from: unknown, answer: Ack) => {
      const by = new Set([...io.sockets.sockets.values()].map(shardOf));
      answer({ from, by: [...by] });
    });
    io.on("connection", (socket) => {
      const shard = shardOf(socket);
      socket.on("whoami", (ack: Ack) => ack(shard));
      socket.on("state", (ack: Ack) => {
        ack({ shard, recovered: socket.recovered, rooms: [...socket.rooms].sort() });
      });
      socket.on("join", (room: string, ack: Ack) => {
        socket.join(room);
        ack(shard);
      });
      socket.on("emit-all", (payload: unknown, ack: Ack) => {
        io.emit("all", payload, shard);
        ack(shard);
      });
      socket.on("to-room", (room: string, payload: unknown, ack: Ack) => {
        io.to(room).emit("room", payload, shard);
        ack(shard);
      });
      socket.on("broadcast", (payload: unknown, ack: Ack) => {
        socket.broadcast.emit("broadcast", payload, shard);
        ack(shard);
      });
      socket.on("ask-all", (ms: number, ack: Ack) => {
        io.timeout(ms).emit("question", shard, (error: Error | null, answers: unknown[]) => {
          ack({ error: error?.message ?? null, answers });
        });
      });
      socket.on("server-ask", async (ack: Ack) => {
        try {
          ack({ answers: await io.serverSideEmitWithAck("ping", shard) });
        } catch (error) {
          ack({ error: (error as Error).message });
        }
      });
      socket.on("fetch", async (ack: Ack) => {
        const sockets = await io.fetchSockets();
        ack(
          sockets.map((s) => ({
            id: s.id,
            shard: (s.handshake as Handshake).headers[SHARD_HEADER],
          })),
        );
      });
      socket.on("count", async (ack: Ack) => ack(await io.of("/").adapter.serverCount()));
    });
  }
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    const shards = Number(env.SHARDS ?? 2);
    return routeToDurableObject("SOCKET_IO", { shards, shardKey: shardByQuery("shard") })(
      request,
      env,
    );
  },
};
