// Checks everything a page sends before the server acts on it. Each check returns the clean
// value or a message the page shows as it is.

/** Limits of what pages may send. */
export const LIMITS = Object.freeze({
  nick: 24,
  room: 24,
  message: 500,
  imageBytes: 1024 * 1024,
});

const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
// Letters, digits, spaces and a little punctuation; no control or invisible characters.
const NICK = /^[\p{L}\p{N}][\p{L}\p{N} ._'-]*$/u;
const ROOM = /^[a-z0-9][a-z0-9_-]*$/;

/** A clean value, or why there is none. */
export type Checked<T> = { value: T } | { error: string };

/** Trims a nickname and checks its length and characters. */
export function checkNick(input: unknown): Checked<string> {
  if (typeof input !== "string") return { error: "Nickname must be text." };
  const nick = input.trim().replace(/\s+/g, " ");
  if (nick.length === 0) return { error: "Pick a nickname." };
  if (nick.length > LIMITS.nick) {
    return { error: `Nickname is too long (at most ${LIMITS.nick} characters).` };
  }
  if (!NICK.test(nick)) {
    return { error: "Nickname may hold letters, digits, spaces and . _ ' - only." };
  }
  return { value: nick };
}

/** Lower-cases a room name and checks it: letters, digits, `-` and `_`. */
export function checkRoom(input: unknown): Checked<string> {
  if (typeof input !== "string") return { error: "Room name must be text." };
  const room = input.trim().toLowerCase();
  if (room.length === 0) return { error: "Pick a room." };
  if (room.length > LIMITS.room) {
    return { error: `Room name is too long (at most ${LIMITS.room} characters).` };
  }
  if (!ROOM.test(room)) return { error: "Room names use a-z, 0-9, - and _ only." };
  return { value: room };
}

/** Trims a message and checks its length. */
export function checkMessage(input: unknown): Checked<string> {
  if (typeof input !== "string") return { error: "Message must be text." };
  const text = input.trim();
  if (text.length === 0) return { error: "Message is empty." };
  if (text.length > LIMITS.message) {
    return { error: `Message is too long (at most ${LIMITS.message} characters).` };
  }
  return { value: text };
}

/** Checks an image upload: `{ type, data }` with a known image type and binary data in bounds. */
export function checkImage(input: unknown): Checked<{ type: string; data: Uint8Array }> {
  if (typeof input !== "object" || input === null) return { error: "Image is missing." };
  const { type, data } = input as { type?: unknown; data?: unknown };
  if (typeof type !== "string" || !IMAGE_TYPES.has(type)) {
    return { error: "Only PNG, JPEG, GIF and WebP images can be shared." };
  }
  let bytes: Uint8Array;
  if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else if (ArrayBuffer.isView(data)) {
    bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } else return { error: "Image data must be binary." };
  if (bytes.byteLength === 0) return { error: "Image is empty." };
  if (bytes.byteLength > LIMITS.imageBytes) {
    return { error: `Image is too large (at most ${LIMITS.imageBytes / 1024} KiB).` };
  }
  return { value: { type, data: bytes } };
}
