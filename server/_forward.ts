// Requests and responses as plain data, so a request for another server's session can cross the
// cluster bus to its owner (ServerOptions.forwardRequests) and the owner's answer come back.

import type { RelayLink } from "../adapter/_cluster_relays.ts";
import type { ForwardedRequest, ForwardedResponse } from "../adapter/cluster_message.ts";
import { readBody } from "./engine/read_body.ts";

/** What the Server needs of its main namespace's adapter to forward requests. */
export interface ForwardingAdapter {
  readonly uid: string;
  /** Resolves once the adapter receives the cluster's messages (requests forwarded to it). */
  ready?(): Promise<void>;
  /** Resolves once messages addressed to this server (forwarded requests, relays) reach it. */
  readyToForward?(): Promise<void>;
  forwardRequest(
    owner: string,
    request: ForwardedRequest,
    timeout: number,
  ): Promise<ForwardedResponse>;
  onForwardedRequest: ((request: ForwardedRequest) => Promise<ForwardedResponse>) | undefined;
  openRelay(
    owner: string,
    request: ForwardedRequest,
    timeout: number,
  ): Promise<{ response: ForwardedResponse; link?: RelayLink }>;
  onRelayRequest:
    | ((request: ForwardedRequest, link: RelayLink) => Promise<ForwardedResponse>)
    | undefined;
}

/** Whether an adapter can forward requests (a ClusterAdapter can). */
export function canForward(adapter: object): adapter is ForwardingAdapter {
  const candidate = adapter as Partial<ForwardingAdapter>;
  return typeof candidate.uid === "string" && typeof candidate.forwardRequest === "function" &&
    typeof candidate.openRelay === "function";
}

/**
 * A request as data; a body larger than `limit` bytes is refused, as the owner would refuse it.
 */
export async function requestToData(request: Request, limit: number): Promise<ForwardedRequest> {
  const data: ForwardedRequest = {
    method: request.method,
    url: request.url,
    headers: [...request.headers],
  };
  if (request.method === "GET" || request.method === "HEAD") return data;
  const body = await readBody(request, limit);
  if (body === undefined) {
    throw new RangeError(`Cannot forward request: its body exceeds ${limit} bytes`);
  }
  data.body = body;
  return data;
}

/** The request again, as the owner's engine reads it. */
export function requestFromData(data: ForwardedRequest): Request {
  const init: RequestInit = { method: data.method, headers: data.headers };
  if (data.body !== undefined) init.body = data.body as Uint8Array<ArrayBuffer>;
  return new Request(data.url, init);
}

/** A response as data, its body read whole (a parked long poll resolves when answered). */
export async function responseToData(response: Response): Promise<ForwardedResponse> {
  const body = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, headers: [...response.headers], body };
}

/** The response again, as the server that forwarded the request answers it. */
export function responseFromData(data: ForwardedResponse): Response {
  const headers = new Headers();
  for (const [name, value] of data.headers) headers.append(name, value);
  const empty = data.status === 204 || data.status === 304;
  return new Response(empty ? null : data.body as Uint8Array<ArrayBuffer>, {
    status: data.status,
    headers,
  });
}
