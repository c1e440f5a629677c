// Base64 through atob/btoa for runtimes without Uint8Array.fromBase64/toBase64 (older browsers,
// Node 20). Private to parser/: base64.ts picks it when the native methods are missing. atob and
// btoa exist in every runtime edgeio targets, and leaning on them keeps the browser bundle small.

const CHUNK = 0x8000;

export function encodeBase64Fallback(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return btoa(binary);
}

export function decodeBase64Fallback(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new SyntaxError(`Cannot decode base64: invalid input of length ${text.length}`);
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
