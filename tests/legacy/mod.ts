// The official Socket.IO v2-era parsers, resolved from this folder's own package.json (an npm
// workspace) so they can sit beside the current versions without npm aliases, which Deno's
// lockfile cannot read.
export { default as engineIoParserV3 } from "engine.io-parser";
export { default as socketIoParserV3 } from "socket.io-parser";
export { default as engineIoClientV3 } from "engine.io-client";
export { default as socketIoClientV2 } from "socket.io-client";
