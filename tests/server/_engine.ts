// Helpers that speak raw Engine.IO to an EngineServer in process, through its fetch handler.
import type { EngineServer } from "../../server/mod.ts";

export const BASE = "http://localhost/engine.io/";

export function url(query: Record<string, string>): string {
  return `${BASE}?${new URLSearchParams(query)}`;
}

export interface OpenPacket {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

/** Handshakes over polling and returns the open packet. */
export async function handshake(
  engine: EngineServer,
  query: Record<string, string> = {},
): Promise<OpenPacket> {
  const response = await engine.fetch(
    new Request(url({ EIO: "4", transport: "polling", ...query })),
  );
  const body = await response.text();
  if (response.status !== 200 || !body.startsWith("0")) {
    throw new Error(`handshake failed: ${body}`);
  }
  return JSON.parse(body.slice(1));
}

export function poll(
  engine: EngineServer,
  sid: string,
  init?: RequestInit,
  eio = "4",
): Promise<Response> {
  return engine.fetch(new Request(url({ EIO: eio, transport: "polling", sid }), init));
}

export async function post(
  engine: EngineServer,
  sid: string,
  body: BodyInit,
  eio = "4",
  headers?: HeadersInit,
): Promise<Response> {
  return await engine.fetch(
    new Request(url({ EIO: eio, transport: "polling", sid }), {
      method: "POST",
      body,
      headers: headers ?? {},
    }),
  );
}

/** Opens a WebSocket (through the test's upgrader) on an existing session or a new one. */
export function websocket(engine: EngineServer, query: Record<string, string>): Promise<Response> {
  return engine.fetch(
    new Request(url({ EIO: "4", transport: "websocket", ...query }), {
      headers: { upgrade: "websocket" },
    }),
  );
}

/** Whether a promise settles within a few turns of the microtask queue (no timers involved). */
export async function settles(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => done = true, () => done = true);
  for (let i = 0; i < 20 && !done; i++) await Promise.resolve();
  return done;
}
