/**
 * The client size table: edgeio's bundles beside the official socket.io-client ones, raw and
 * gzipped at level 9. `deno task build:client` prints it for a fresh build and
 * `deno task bench:client-size` for the committed one.
 *
 * @module
 */

import { gzipSync } from "node:zlib";

const ROOT = new URL("../", import.meta.url);

/** The bundles compared, maps left out. */
export const BUNDLE_NAMES: readonly string[] = [
  "socket.io.js",
  "socket.io.min.js",
  "socket.io.esm.min.js",
];

/** One line of the size table. */
export interface SizeRow {
  /** The file name, the same for both clients. */
  name: string;
  /** edgeio's file in bytes. */
  bytes: number;
  /** edgeio's file gzipped (level 9) in bytes. */
  gzip: number;
  /** The official socket.io-client file in bytes. */
  officialBytes: number;
  /** The official file gzipped (level 9) in bytes. */
  officialGzip: number;
}

const gzipSize = (bytes: Uint8Array) => gzipSync(bytes, { level: 9 }).byteLength;

/**
 * Measures edgeio's bundles beside the official ones of `node_modules/socket.io-client/dist`.
 *
 * @param files edgeio's bundles by name (the built files, or the committed module's).
 * @returns One row per bundle (maps left out).
 *
 * @example
 * ```ts ignore
 * import { buildClient } from "./scripts/build_client.ts";
 * import { formatSizeTable, sizeRows } from "./scripts/client_size.ts";
 *
 * console.log(formatSizeTable(await sizeRows(await buildClient())));
 * ```
 */
export async function sizeRows(files: ReadonlyMap<string, string>): Promise<SizeRow[]> {
  const rows: SizeRow[] = [];
  for (const name of BUNDLE_NAMES) {
    const ours = new TextEncoder().encode(files.get(name) ?? "");
    const official = await Deno.readFile(
      new URL(`node_modules/socket.io-client/dist/${name}`, ROOT),
    );
    rows.push({
      name,
      bytes: ours.byteLength,
      gzip: gzipSize(ours),
      officialBytes: official.byteLength,
      officialGzip: gzipSize(official),
    });
  }
  return rows;
}

const grouped = (n: number) => n.toLocaleString("en-US");
const percent = (ours: number, theirs: number) => `${Math.round((ours / theirs) * 100)}%`;

/**
 * Formats size rows as a Markdown table, ready to paste into a note.
 *
 * @param rows The rows.
 * @param officialVersion The socket.io-client version measured.
 * @returns The table, one line per row after the header.
 *
 * @example
 * ```ts
 * import { formatSizeTable } from "./client_size.ts";
 *
 * const table = formatSizeTable([
 *   { name: "socket.io.min.js", bytes: 20000, gzip: 7000, officialBytes: 40000, officialGzip: 14000 },
 * ], "4.8.4");
 * if (!table.includes("| socket.io.min.js | 20,000 | 7,000 |")) throw new Error(table);
 * ```
 */
export function formatSizeTable(rows: readonly SizeRow[], officialVersion = "4.8.4"): string {
  const lines = [
    `| file | edgeio bytes | edgeio gzip | socket.io-client ${officialVersion} bytes | gzip | edgeio / official (gzip) |`,
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${grouped(r.bytes)} | ${grouped(r.gzip)} | ${grouped(r.officialBytes)} | ` +
        `${grouped(r.officialGzip)} | ${percent(r.gzip, r.officialGzip)} |`,
    );
  }
  return lines.join("\n");
}

/**
 * The version of the installed socket.io-client, which the size table compares against.
 *
 * @returns The version from its package.json.
 */
export async function officialClientVersion(): Promise<string> {
  const pkg = await Deno.readTextFile(
    new URL("node_modules/socket.io-client/package.json", ROOT),
  );
  return (JSON.parse(pkg) as { version: string }).version;
}
