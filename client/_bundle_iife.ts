// The entry of the browser bundle served at <path>/socket.io.js: a global `io` function that
// carries `Manager`, `Socket`, `io`, `connect` and `protocol`, as socket.io-client's bundle does.

import { io } from "./io.ts";
import { Manager } from "./manager.ts";
import { Socket } from "./socket.ts";
import { protocol } from "../parser/socket_packet.ts";

(globalThis as { io?: unknown }).io = Object.assign(io, {
  Manager,
  Socket,
  io,
  connect: io,
  protocol,
});
