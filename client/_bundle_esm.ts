// The entry of the ESM browser bundle served at <path>/socket.io.esm.min.js: the exports of
// socket.io-client's ESM build, and nothing else, so the bundle stays small.

import { io } from "./io.ts";

export { io };
export { Manager } from "./manager.ts";
export { Socket } from "./socket.ts";
export { protocol } from "../parser/socket_packet.ts";
export { io as connect };
export default io;
