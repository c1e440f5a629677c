// A Node member of a mixed fleet: socket.io 4.8.4 with @socket.io/redis-adapter 8.3.0 over
// ioredis, straight to redis-server on 127.0.0.1:$REDIS_PORT, with the base64 MessagePack parser
// written here from notepack.io and Buffer (the logic of edgeio's base64MsgpackParser). Listens
// on 127.0.0.1:$PORT (0 picks one) and prints "listening on <url>"; exits on SIGTERM.
// Environment: REDIS_PORT, KEY (the adapter's key), REQUESTS_TIMEOUT (ms), SPECIFIC=1 for
// publishOnSpecificResponseChannel.
//
// The test drives it with `POST /control` and a JSON body `{ action, ... }`; the answer is JSON.
// Binary crosses the control channel as `{ "$bin": "<base64>" }` both ways.
import { createServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import notepack from "notepack.io";
import { Server } from "socket.io";

const env = process.env;

const parser = {
  encode: (value) => notepack.encode(value).toString("base64"),
  decode: (data) => notepack.decode(Buffer.from(data.toString(), "base64")),
};

const fromJson = (value) => {
  if (Array.isArray(value)) return value.map(fromJson);
  if (value && typeof value === "object") {
    if (typeof value.$bin === "string") return Buffer.from(value.$bin, "base64");
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromJson(v)]));
  }
  return value;
};
const toJson = (value) => {
  if (Buffer.isBuffer(value)) return { $bin: value.toString("base64") };
  if (value instanceof ArrayBuffer) return { $bin: Buffer.from(value).toString("base64") };
  if (Array.isArray(value)) return value.map(toJson);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  return value;
};

const pub = new Redis(Number(env.REDIS_PORT), "127.0.0.1", { lazyConnect: false });
const sub = pub.duplicate();
for (const client of [pub, sub]) client.on("error", () => {});

const httpServer = createServer((request, response) => {
  if (request.method !== "POST" || request.url !== "/control") {
    return response.writeHead(404).end("Not Found");
  }
  let body = "";
  request.on("data", (chunk) => body += chunk);
  request.on("end", async () => {
    try {
      const result = await control(JSON.parse(body));
      response.writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ result: toJson(result ?? null) }));
    } catch (error) {
      response.writeHead(500, { "content-type": "application/json" })
        .end(JSON.stringify({ error: String(error?.message ?? error) }));
    }
  });
});

const io = new Server(httpServer, {
  serveClient: false,
  adapter: createAdapter(pub, sub, {
    key: env.KEY ?? "socket.io",
    parser,
    requestsTimeout: Number(env.REQUESTS_TIMEOUT ?? 3000),
    publishOnSpecificResponseChannel: env.SPECIFIC === "1",
  }),
});

// What this server's own handlers saw, for the test to read.
const heard = [];
for (const name of ["/", "/admin"]) {
  const nsp = io.of(name);
  nsp.on("connection", (socket) => {
    const { name, room } = socket.handshake.auth;
    socket.data = { name, side: "node" };
    if (room) socket.join(room);
    socket.on("shout", (text) => {
      socket.broadcast.emit("heard", text);
      nsp.emit("mark");
    });
  });
  nsp.on("announce", (...args) => heard.push([name, "announce", ...args]));
  nsp.on("question", (text, ack) => ack(`node heard ${text}`));
  // Never answers: the asking server's time runs out.
  nsp.on("silent", () => {});
}

const target = ({ nsp, to, except }) => {
  let operator = io.of(nsp ?? "/");
  if (to) operator = operator.to(to);
  if (except) operator = operator.except(except);
  return operator;
};

async function control(command) {
  const args = fromJson(command.args ?? []);
  switch (command.action) {
    case "emit":
      target(command).emit(command.event, ...args);
      return null;
    case "emitWithAck":
      return await target(command).timeout(command.timeout).emitWithAck(command.event, ...args);
    case "serverSideEmit":
      io.of(command.nsp ?? "/").serverSideEmit(command.event, ...args);
      return null;
    case "serverSideEmitWithAck":
      return await io.of(command.nsp ?? "/").serverSideEmitWithAck(command.event, ...args);
    case "fetchSockets": {
      const sockets = await target(command).fetchSockets();
      return sockets.map((s) => ({ id: s.id, rooms: [...s.rooms].sort(), data: s.data }))
        .sort((a, b) => a.data.name.localeCompare(b.data.name));
    }
    case "remoteEmit": {
      const [socket] = await io.in(command.id).fetchSockets();
      socket.emit(command.event, ...args);
      return null;
    }
    case "socketsJoin":
      target(command).socketsJoin(command.rooms);
      return null;
    case "socketsLeave":
      target(command).socketsLeave(command.rooms);
      return null;
    case "disconnectSockets":
      target(command).disconnectSockets(command.close);
      return null;
    case "serverCount":
      return await io.of(command.nsp ?? "/").adapter.serverCount();
    case "allRooms":
      return [...await io.of(command.nsp ?? "/").adapter.allRooms()].sort();
    case "heard":
      return heard.splice(0);
    case "localRooms":
      return Object.fromEntries(
        [...io.of(command.nsp ?? "/").sockets.values()].map((s) => [
          s.data.name,
          [...s.rooms].sort(),
        ]),
      );
    default:
      throw new Error(`unknown action ${command.action}`);
  }
}

httpServer.listen(Number(env.PORT ?? 0), "127.0.0.1", () => {
  const { address, port } = httpServer.address();
  // deno-lint-ignore no-console -- the one line the test harness waits for
  console.log(`listening on http://${address}:${port}`);
});

const stop = () => {
  setTimeout(() => process.exit(0), 2000).unref();
  setInterval(() => httpServer.closeIdleConnections(), 20).unref();
  io.close(() => {
    pub.disconnect();
    sub.disconnect();
    process.exit(0);
  });
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
