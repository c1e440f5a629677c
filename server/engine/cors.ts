/**
 * Cross-origin rules for HTTP long-polling, with the options of the `cors` npm package that
 * socket.io passes its `cors` option to.
 *
 * @module
 */

/** Decides on a request's origin: `true` reflects it, `false` refuses, a string names it. */
export type CorsOriginFunction = (
  origin: string | undefined,
  callback: (error: Error | null, allow?: boolean | string) => void,
) => void | boolean | string | Promise<boolean | string>;

/** Allowed origins: `true` reflects any, `"*"` allows any, or names, patterns or a function. */
export type CorsOrigin = boolean | string | RegExp | Array<string | RegExp> | CorsOriginFunction;

/** Options of the `cors` npm package, as socket.io's `cors` option takes them. */
export interface CorsOptions {
  /**
   * Allowed origins.
   * @default {"*"}
   */
  origin?: CorsOrigin;
  /**
   * Methods allowed by preflight answers.
   * @default {"GET,HEAD,PUT,PATCH,POST,DELETE"}
   */
  methods?: string | string[];
  /** Headers allowed by preflight answers; the requested ones are reflected by default. */
  allowedHeaders?: string | string[];
  /** Headers the page may read. */
  exposedHeaders?: string | string[];
  /**
   * Whether credentials (cookies) may be sent.
   * @default {false}
   */
  credentials?: boolean;
  /** Seconds a preflight answer may be cached. */
  maxAge?: number;
  /**
   * The status of preflight answers.
   * @default {204}
   */
  optionsSuccessStatus?: number;
}

const join = (value: string | string[]) => Array.isArray(value) ? value.join(",") : value;

async function resolveOrigin(
  rule: CorsOrigin,
  origin: string | undefined,
): Promise<string | false> {
  if (rule === "*") return "*";
  if (rule === true) return origin ?? false;
  if (rule === false) return false;
  if (typeof rule === "string") return rule;
  if (rule instanceof RegExp) return origin !== undefined && rule.test(origin) ? origin : false;
  if (Array.isArray(rule)) {
    const ok = origin !== undefined &&
      rule.some((r) => (typeof r === "string" ? r === origin : r.test(origin)));
    return ok ? origin : false;
  }
  const decision = await new Promise<boolean | string>((resolve, reject) => {
    const returned = rule(
      origin,
      (error, allow) => (error ? reject(error) : resolve(allow ?? false)),
    );
    if (returned !== undefined) Promise.resolve(returned).then(resolve, reject);
  });
  if (decision === true) return origin ?? false;
  return typeof decision === "string" ? decision : false;
}

/**
 * Computes the CORS headers for a request, and for preflights the whole answer.
 *
 * @param options The rules.
 * @param request The request.
 * @returns The headers to add, and a response when the request was a preflight.
 * @throws {Error} What an origin function reported.
 *
 * @example
 * ```ts
 * import { corsHeaders } from "@edgeio/edgeio/server";
 * import assert from "node:assert/strict";
 *
 * const request = new Request("http://localhost/", { headers: { origin: "https://a.example" } });
 * const { headers } = await corsHeaders({ origin: [/\.example$/], credentials: true }, request);
 * assert.equal(headers.get("access-control-allow-origin"), "https://a.example");
 * assert.equal(headers.get("access-control-allow-credentials"), "true");
 * ```
 */
export async function corsHeaders(
  options: CorsOptions,
  request: Request,
): Promise<{ headers: Headers; preflight: Response | undefined }> {
  const headers = new Headers();
  const origin = request.headers.get("origin") ?? undefined;
  const rule = options.origin ?? "*";
  const allowed = await resolveOrigin(rule, origin);
  if (allowed !== false) headers.set("Access-Control-Allow-Origin", allowed);
  if (rule !== "*" && rule !== false) headers.append("Vary", "Origin");
  if (options.credentials) headers.set("Access-Control-Allow-Credentials", "true");
  if (options.exposedHeaders) {
    headers.set("Access-Control-Expose-Headers", join(options.exposedHeaders));
  }
  if (request.method !== "OPTIONS") return { headers, preflight: undefined };

  headers.set(
    "Access-Control-Allow-Methods",
    join(options.methods ?? "GET,HEAD,PUT,PATCH,POST,DELETE"),
  );
  const allowHeaders = options.allowedHeaders
    ? join(options.allowedHeaders)
    : request.headers.get("access-control-request-headers");
  if (!options.allowedHeaders) headers.append("Vary", "Access-Control-Request-Headers");
  if (allowHeaders) headers.set("Access-Control-Allow-Headers", allowHeaders);
  if (options.maxAge !== undefined) headers.set("Access-Control-Max-Age", String(options.maxAge));
  headers.set("Content-Length", "0");
  const preflight = new Response(null, { status: options.optionsSuccessStatus ?? 204, headers });
  return { headers, preflight };
}
