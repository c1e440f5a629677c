// Waiting for events and promises in tests, always bounded in time: every helper rejects with
// a message naming what did not happen, and leaves no timer or listener behind.

type Listener = (...args: unknown[]) => void;

/** Something with `once`/`off`, as emitters of socket.io, socket.io-client and edgeio have. */
export interface OnceTarget {
  once(event: string, fn: Listener): unknown;
  // deno-lint-ignore no-explicit-any -- typed sockets narrow the event name
  off?(event: any, fn: Listener): unknown;
}

/** Something with `on`/`off`. */
export interface OnTarget {
  on(event: string, fn: Listener): unknown;
  off(event: string, fn: Listener): unknown;
}

/** Resolves with the arguments of the next `event`, or rejects after `ms`. */
export function once(target: OnceTarget, event: string, ms = 5000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    };
    const timer = setTimeout(() => {
      target.off?.(event, listener);
      reject(new Error(`no "${event}" within ${ms} ms`));
    }, ms);
    target.once(event, listener);
  });
}

/** Resolves with the arguments of the next `count` events `event`, or rejects after `ms`. */
export function times(
  target: OnTarget,
  event: string,
  count: number,
  ms = 5000,
): Promise<unknown[][]> {
  return new Promise((resolve, reject) => {
    const got: unknown[][] = [];
    const listener = (...args: unknown[]) => {
      got.push(args);
      if (got.length < count) return;
      clearTimeout(timer);
      target.off(event, listener);
      resolve(got);
    };
    const timer = setTimeout(() => {
      target.off(event, listener);
      reject(new Error(`${got.length} of ${count} "${event}" within ${ms} ms`));
    }, ms);
    target.on(event, listener);
  });
}

/** Settles as `promise` does, or rejects after `ms`; the timer never outlives it. */
export function within<T>(promise: Promise<T>, ms: number, what = "the step"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
