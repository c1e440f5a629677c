// The HTTP requests this server forwarded to the owners of their sessions, each waiting for its
// answer (FORWARD_RESPONSE) until a deadline.

import { randomId } from "./_cluster_requests.ts";
import type { ClusterTimers } from "./cluster_options.ts";
import type { ForwardedResponse } from "./cluster_message.ts";

interface Pending {
  owner: string;
  resolve(response: ForwardedResponse): void;
  reject(error: Error): void;
  timer: unknown;
}

/** Forwarded requests by id. */
export class Forwards {
  readonly #timers: ClusterTimers;
  readonly #pending = new Map<string, Pending>();

  constructor(timers: ClusterTimers) {
    this.#timers = timers;
  }

  /**
   * Opens a request: `send` gets its id; the promise settles with the answer, or rejects after
   * `timeout` ms (naming `owner`) or when everything is closed.
   */
  open(
    owner: string,
    timeout: number,
    send: (requestId: string) => void,
  ): Promise<ForwardedResponse> {
    const requestId = randomId();
    const answered = new Promise<ForwardedResponse>((resolve, reject) => {
      const timer = this.#timers.setTimeout(() => {
        const late = `Cannot forward request: ${owner} did not answer within ${timeout} ms`;
        this.settle(requestId, new Error(late));
      }, timeout);
      this.#pending.set(requestId, { owner, resolve, reject, timer });
    });
    send(requestId);
    return answered;
  }

  /** Ends a request with its answer or an error; an unknown id (another server's) is ignored. */
  settle(requestId: string, outcome: ForwardedResponse | Error): void {
    const pending = this.#pending.get(requestId);
    if (!pending) return;
    this.#pending.delete(requestId);
    this.#timers.clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  /** Ends the requests sent to a server found dead. */
  drop(owner: string): void {
    for (const [id, pending] of [...this.#pending]) {
      if (pending.owner === owner) {
        this.settle(id, new Error(`Cannot forward request: ${owner} left the cluster`));
      }
    }
  }

  /** Ends every request with an error. */
  closeAll(): void {
    for (const id of [...this.#pending.keys()]) {
      this.settle(id, new Error("Cannot forward request: the adapter closed"));
    }
  }
}
