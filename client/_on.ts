// Subscribes a listener and returns the function that unsubscribes it.

/** Something with `on` and `off`. */
export interface Subscribable {
  // deno-lint-ignore no-explicit-any -- listeners of any shape are subscribed
  on(event: string, listener: (...args: any[]) => void): unknown;
  // deno-lint-ignore no-explicit-any -- as above
  off(event: string, listener: (...args: any[]) => void): unknown;
}

/** Adds `listener` to `target` and returns what removes it. */
export function on(
  target: Subscribable,
  event: string,
  // deno-lint-ignore no-explicit-any -- as above
  listener: (...args: any[]) => void,
): () => unknown {
  target.on(event, listener);
  return (): unknown => target.off(event, listener);
}
