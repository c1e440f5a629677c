// The page's static files, read once at start-up and answered from memory: a request can only
// ever name one of these files, so there is no path to traverse.

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

// The page loads only its own files and connects only to its own origin; images come from
// Blob URLs.
const CSP = "default-src 'self'; img-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'";

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

/** The files of a folder (not its subfolders), by URL path (`/` is `index.html`). */
export async function loadAssets(folder: URL): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  for await (const item of Deno.readDir(folder)) {
    if (!item.isFile) continue;
    const extension = item.name.slice(item.name.lastIndexOf("."));
    const type = TYPES[extension];
    if (type === undefined) continue;
    const body = await Deno.readFile(new URL(item.name, folder));
    assets.set(`/${item.name}`, { body, type });
    if (item.name === "index.html") assets.set("/", { body, type });
  }
  return assets;
}

/** Answers `GET`/`HEAD` for a known file, `404` or `405` otherwise. */
export function serveAsset(request: Request, assets: Map<string, Asset>): Response {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("Method Not Allowed", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  const asset = assets.get(new URL(request.url).pathname);
  if (asset === undefined) return new Response("Not Found", { status: 404 });
  return new Response(request.method === "HEAD" ? null : asset.body, {
    headers: {
      "content-type": asset.type,
      "content-security-policy": CSP,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    },
  });
}
