// The events and payloads the chat's server and page exchange, in one place so both sides of
// the server code agree (the page in public/ speaks the same shapes in plain JavaScript).

/** A chat entry: a text message, an image, or a notice from the server. */
export type ChatEntry =
  | { kind: "text"; id: string; room: string; nick: string; ts: number; text: string }
  | { kind: "image"; id: string; room: string; nick: string; ts: number; type: string }
  | { kind: "notice"; id: string; room: string; ts: number; text: string };

/** An image as relayed live: the entry plus its bytes. */
export type ImageEntry = Extract<ChatEntry, { kind: "image" }> & { data: Uint8Array };

/** A room and how many people are in it now. */
export interface RoomInfo {
  name: string;
  count: number;
}

/** What every ack carries: `ok` with a result, or an `error` to show. */
export type Reply<T = Record<never, never>> = ({ ok: true } & T) | { ok: false; error: string };

/** What a successful `join` answers. */
export interface Joined {
  room: string;
  nick: string;
  history: ChatEntry[];
}

/** Events the page sends. Each takes an ack except `typing`. */
export interface ClientEvents {
  join: (request: unknown, ack: (reply: Reply<Joined>) => void) => void;
  message: (text: unknown, ack: (reply: Reply) => void) => void;
  image: (image: unknown, ack: (reply: Reply) => void) => void;
  typing: (typing: unknown) => void;
}

/** Events the server sends. */
export interface ServerEvents {
  entry: (entry: ChatEntry) => void;
  image: (image: ImageEntry) => void;
  presence: (presence: { room: string; members: string[] }) => void;
  rooms: (rooms: RoomInfo[]) => void;
  typing: (typing: { room: string; nick: string; typing: boolean }) => void;
}

/** What the server keeps on each socket (and recovery carries over a short disconnect). */
export interface SocketData {
  nick?: string;
  room?: string;
}
