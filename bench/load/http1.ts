// A minimal HTTP/1.1 keep-alive client over one TCP connection, one request at a time: just
// what the polling generator needs. `fetch` costs the generator several times the CPU per
// request (Request/Response objects, header maps, body streams), enough that on 2 cores it,
// not the server, set the pace.

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEADER_END = encoder.encode("\r\n\r\n");
const READ_SIZE = 64 * 1024;
// The largest response head or body accepted; polling answers here are a few hundred bytes.
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** A response: status and text body. */
export interface HttpResponse {
  status: number;
  body: string;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** One keep-alive HTTP/1.1 connection. */
export class Http1Connection {
  readonly #conn: Deno.TcpConn;
  readonly #host: string;
  #buffer = new Uint8Array(0);
  readonly #chunk = new Uint8Array(READ_SIZE);
  #closed = false;

  private constructor(conn: Deno.TcpConn, host: string) {
    this.#conn = conn;
    this.#host = host;
  }

  /**
   * Connects.
   *
   * @param url `http://host:port`.
   * @returns The connection.
   */
  static async open(url: string): Promise<Http1Connection> {
    const { hostname, port, host } = new URL(url);
    const conn = await Deno.connect({ hostname, port: Number(port) });
    conn.setNoDelay(true);
    return new Http1Connection(conn, host);
  }

  /**
   * Sends a request and reads its whole response.
   *
   * @param method GET or POST.
   * @param path The path and query.
   * @param body A text body (sent as text/plain).
   * @returns The response.
   * @throws {Error} When the connection closes or the response is malformed.
   */
  async request(method: string, path: string, body?: string): Promise<HttpResponse> {
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.#host}\r\n`;
    let bytes: Uint8Array | undefined;
    if (body !== undefined) {
      bytes = encoder.encode(body);
      head += `Content-Type: text/plain;charset=UTF-8\r\nContent-Length: ${bytes.length}\r\n`;
    }
    const headBytes = encoder.encode(head + "\r\n");
    const message = bytes ? new Uint8Array(headBytes.length + bytes.length) : headBytes;
    if (bytes) {
      message.set(headBytes);
      message.set(bytes, headBytes.length);
    }
    await this.#writeAll(message);
    return await this.#readResponse();
  }

  /** Closes the connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }

  async #writeAll(data: Uint8Array): Promise<void> {
    let written = 0;
    while (written < data.length) written += await this.#conn.write(data.subarray(written));
  }

  // Reads more bytes into the buffer; throws at end of stream.
  async #fill(): Promise<void> {
    if (this.#buffer.length > MAX_RESPONSE_BYTES) throw new Error("response too large");
    const chunk = this.#chunk;
    const n = await this.#conn.read(chunk);
    if (n === null) throw new Error("connection closed");
    const grown = new Uint8Array(this.#buffer.length + n);
    grown.set(this.#buffer);
    grown.set(chunk.subarray(0, n), this.#buffer.length);
    this.#buffer = grown;
  }

  async #take(length: number): Promise<Uint8Array> {
    while (this.#buffer.length < length) await this.#fill();
    const taken = this.#buffer.slice(0, length);
    this.#buffer = this.#buffer.subarray(length);
    return taken;
  }

  async #line(): Promise<string> {
    let end;
    while ((end = indexOf(this.#buffer, HEADER_END.subarray(0, 2), 0)) === -1) await this.#fill();
    const line = decoder.decode(this.#buffer.subarray(0, end));
    this.#buffer = this.#buffer.subarray(end + 2);
    return line;
  }

  async #readResponse(): Promise<HttpResponse> {
    let end;
    while ((end = indexOf(this.#buffer, HEADER_END, 0)) === -1) await this.#fill();
    const lines = decoder.decode(this.#buffer.subarray(0, end)).split("\r\n");
    this.#buffer = this.#buffer.subarray(end + 4);
    const status = Number(lines[0]!.split(" ")[1]);
    let length = 0;
    let chunked = false;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "content-length") length = Number(value);
      else if (name === "transfer-encoding") chunked = value.toLowerCase().includes("chunked");
    }
    if (!chunked) return { status, body: decoder.decode(await this.#take(length)) };
    const text = new TextDecoder();
    let body = "";
    for (let chunks = 0; chunks < 100_000; chunks++) {
      const size = parseInt((await this.#line()).split(";")[0]!, 16);
      if (!(size >= 0) || size > MAX_RESPONSE_BYTES) throw new Error("bad chunk size");
      if (size === 0) {
        while ((await this.#line()) !== "") { /* trailers */ }
        return { status, body: body + text.decode() };
      }
      body += text.decode(await this.#take(size), { stream: true });
      await this.#take(2);
    }
    throw new Error("too many chunks");
  }
}
