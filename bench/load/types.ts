// What the benchmark hands a generator process (as JSON on its command line) and what the
// generator prints back (one JSON line): shared by bench/engine_load.ts, bench/socketio_load.ts
// and bench/load/*.

/** The share of one CPU core a process used over a window: 1 is one core fully busy. */
export interface CpuShare {
  /** The server process. */
  server: number;
  /** The generator process itself. */
  generator: number;
  /**
   * Every other process on the machine (busy time of /proc/stat less the two above): above a
   * few percent, something else competed for the cores and the numbers are noisy.
   */
  others: number;
}

/** Settings every scenario has. */
interface Common {
  /** The server's base URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** The server's process id, to read its CPU time and memory from /proc. */
  serverPid: number;
}

/** Scenario 1: WebSocket echo round trips, one message in flight per connection. */
export interface WsEchoConfig extends Common {
  scenario: "ws-echo";
  connections: number;
  warmupMs: number;
  durationMs: number;
  payloadBytes: number;
}

/** Scenario 2: many idle WebSocket sessions, opened with bounded concurrency. */
export interface WsIdleConfig extends Common {
  scenario: "ws-idle";
  connections: number;
  /** How many handshakes may be under way at once. */
  concurrency: number;
  /** Milliseconds to wait after the opens (and after a GC request) before reading memory. */
  settleMs: number;
}

/** Scenario 3: long-polling echo round trips, one message in flight per session. */
export interface PollingEchoConfig extends Common {
  scenario: "polling-echo";
  connections: number;
  warmupMs: number;
  durationMs: number;
  payloadBytes: number;
}

/**
 * Socket.IO echo with acks: each connection keeps one `echo` event with an ack in flight
 * (`42<id>["echo",data]` answered by `43<id>[data]`).
 */
export interface SioEchoConfig extends Common {
  scenario: "sio-echo";
  connections: number;
  warmupMs: number;
  durationMs: number;
  payloadBytes: number;
}

/**
 * Socket.IO broadcasts: `clients` sockets on `/` receive `news` events that a control socket (on
 * `/control`, out of the broadcasts' reach) asks the server for, in passes. A pass reaches every
 * client once: one `io.emit` when `rooms` is 0, else one `io.to("r<i>").emit` per room, with
 * the clients spread evenly over the rooms.
 */
export interface SioBroadcastConfig extends Common {
  scenario: "sio-broadcast";
  clients: number;
  /** 0 for `io.emit`; else how many rooms the clients join (client i joins `r<i % rooms>`). */
  rooms: number;
  /** Passes before the measured ones, not counted. */
  warmupPasses: number;
  /** Passes measured. */
  passes: number;
  /** Passes per control request. */
  batch: number;
  /** Passes under way (asked for, not yet delivered everywhere) at most. */
  window: number;
  payloadBytes: number;
  /** How long the measured passes may take before the rest counts as lost. */
  timeoutMs: number;
}

/** What a generator process is asked to do. */
export type LoadConfig =
  | WsEchoConfig
  | WsIdleConfig
  | PollingEchoConfig
  | SioEchoConfig
  | SioBroadcastConfig;

/** The result of an echo scenario (WebSocket, polling, or Socket.IO events with acks). */
export interface EchoResult {
  scenario: "ws-echo" | "polling-echo" | "sio-echo";
  /** Echoes received inside the measured window. */
  messages: number;
  /** Length of the measured window in seconds. */
  seconds: number;
  msgsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Connections that failed (refused, closed early, wrong echo, timed out). */
  errors: number;
  /** CPU used during the measured window. */
  cpu: CpuShare;
}

/** The result of the idle-connections scenario. */
export interface IdleResult {
  scenario: "ws-idle";
  /** Sessions that opened (open packet received). */
  opened: number;
  /** Sessions still open when memory was read. */
  openAtReading: number;
  errors: number;
  /** Seconds to open all of them. */
  openSeconds: number;
  handshakesPerSec: number;
  /** Server RSS after a warm-up and a GC request, before the opens, in bytes. */
  rssBeforeBytes: number;
  /** Server RSS with every session open, after `settleMs`, in bytes. */
  rssAfterBytes: number;
  /** The same after a GC request (the server runs a full GC if it can). */
  rssAfterGcBytes: number;
  /** (rssAfter - rssBefore) / opened. */
  rssPerConnBytes: number;
  /** (rssAfterGc - rssBefore) / opened. */
  rssPerConnGcBytes: number;
  /** CPU used while opening. */
  cpu: CpuShare;
}

/** The result of a broadcast scenario. */
export interface BroadcastResult {
  scenario: "sio-broadcast";
  /** Clients connected (and in their room, with rooms) when the passes began. */
  clients: number;
  rooms: number;
  /** Passes measured. */
  passes: number;
  /** Deliveries the measured passes should make: passes × clients. */
  expected: number;
  /** `news` events received in the measured passes. */
  deliveries: number;
  /** From the first measured request to the last delivery (or the time limit). */
  seconds: number;
  deliveriesPerSec: number;
  /** Server CPU time (utime + stime) over those seconds. */
  serverCpuSeconds: number;
  /** The user-space part of it (utime). */
  serverUserSeconds: number;
  /** The kernel part of it (stime): mostly socket writes. */
  serverSystemSeconds: number;
  /** serverCpuSeconds / deliveries, in microseconds. */
  serverCpuPerDeliveryUs: number;
  /** Clients that failed to connect or join, were lost, or got a wrong frame. */
  errors: number;
  /** CPU used over the measured passes. */
  cpu: CpuShare;
}

/** What a generator process prints. */
export type LoadResult = EchoResult | IdleResult | BroadcastResult;
