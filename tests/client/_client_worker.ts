// A Cloudflare Worker whose fetch handler runs our Socket.IO client against the server named in
// the query: `GET /?url=<server>&transports=polling,websocket`. It connects, waits for the
// server's `hello` (text and binary), emits `echo` with a binary attachment and an ack, and answers
// with what it saw as JSON (binary as arrays of bytes). Every wait is bounded; the socket is
// closed before the answer is sent, so nothing outlives the request.
import { io, type Socket, type TransportName } from "../../client/mod.ts";

const WAIT_MS = 5000;

function bounded<T>(what: string, start: (resolve: (value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${WAIT_MS} ms`)), WAIT_MS);
    start((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

const bytes = (data: unknown): number[] | string =>
  data instanceof ArrayBuffer
    ? [...new Uint8Array(data)]
    : ArrayBuffer.isView(data)
    ? [...new Uint8Array(data.buffer, data.byteOffset, data.byteLength)]
    : `not binary: ${Object.prototype.toString.call(data)}`;

async function run(url: string, transports: TransportName[]): Promise<Record<string, unknown>> {
  const socket: Socket = io(url, { transports, forceNew: true, reconnection: false });
  const errors: string[] = [];
  socket.on("connect_error", (error: Error) => errors.push(`connect_error: ${error.message}`));
  try {
    const hello = bounded<unknown[]>(
      "hello",
      (resolve) => socket.once("hello", (...a) => resolve(a)),
    );
    await bounded<void>("connect", (resolve) => socket.once("connect", () => resolve()))
      .catch((error) => {
        throw new Error(`${(error as Error).message}; ${errors.join("; ")}`);
      });
    const [text, data] = await hello;
    const answer = await socket.timeout(WAIT_MS).emitWithAck("echo", {
      text: "é from workerd",
      bytes: new Uint8Array([1, 2, 3]),
    }) as { text: string; bytes: unknown };
    const engine = socket.io.engine!;
    // An upgrade from polling may still be under way: wait for it so the transport is final.
    if (transports.length > 1 && engine.transport.name === "polling") {
      await bounded<void>("upgrade", (resolve) => engine.once("upgrade", () => resolve()));
    }
    return {
      id: typeof socket.id === "string" && socket.id.length > 0,
      hello: [text, bytes(data)],
      answer: { text: answer.text, bytes: bytes(answer.bytes) },
      transport: engine.transport.name,
    };
  } finally {
    socket.disconnect();
  }
}

export default {
  async fetch(request: Request): Promise<Response> {
    const query = new URL(request.url).searchParams;
    const url = query.get("url");
    if (!url) return new Response("url missing", { status: 400 });
    const transports = (query.get("transports") ?? "polling").split(",") as TransportName[];
    try {
      return Response.json(await run(url, transports));
    } catch (error) {
      return Response.json({ error: String((error as Error).stack ?? error) }, { status: 500 });
    }
  },
};
