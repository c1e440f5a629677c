/**
 * `deno task bench:client-size`: the sizes (raw and gzipped at level 9) of the committed client
 * bundles in `server/_client_files.ts` beside the official socket.io-client ones, as a Markdown
 * table. `deno task build:client` prints the same table for a fresh build.
 *
 * @module
 */

import { CLIENT_FILES } from "../server/_client_files.ts";
import { formatSizeTable, officialClientVersion, sizeRows } from "../scripts/client_size.ts";

/**
 * The size table of the committed bundles.
 *
 * @returns The Markdown table.
 *
 * @example
 * ```ts ignore
 * import { clientSizeTable } from "./bench/client_size.ts";
 *
 * console.log(await clientSizeTable());
 * ```
 */
export async function clientSizeTable(): Promise<string> {
  const files = new Map(Object.entries(CLIENT_FILES).map(([name, file]) => [name, file.body]));
  return formatSizeTable(await sizeRows(files), await officialClientVersion());
}

if (import.meta.main) {
  // deno-lint-ignore no-console -- the bench's report
  console.log(await clientSizeTable());
}
