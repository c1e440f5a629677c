// Misuse checks shared by the adapter's methods: built-in error classes, messages of the form
// "Cannot <action>: <what> must be <rule>, current value is <value>".

import type { AdapterNamespace, BroadcastOptions } from "./types.ts";

/** A value as an error message shows it: briefly, and without throwing. */
export function show(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value !== "object" || value === null) {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
    return `a ${value.constructor?.name ?? "object"}`;
  }
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return Array.isArray(value) ? "an array" : "an object";
  }
}

/**
 * An option that must be a finite number above zero.
 *
 * @param subject What is being made, e.g. "UpstashAdapter".
 */
export function checkPositive(subject: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `Cannot create ${subject}: ${name} must be a positive number, current value is ${
        show(value)
      }`,
    );
  }
  return value;
}

/**
 * An option that must be a non-empty string.
 *
 * @param subject What is being made, e.g. "UpstashAdapter".
 */
export function checkText(subject: string, name: string, value: unknown): string {
  if (typeof value !== "string" || value === "") {
    throw new TypeError(
      `Cannot create ${subject}: ${name} must be a non-empty string, current value is ${
        show(value)
      }`,
    );
  }
  return value;
}

/**
 * A jittered exponential delay: from half to all of `min · 2^attempt`, capped at `max`.
 */
export function backoffDelay(min: number, max: number, attempt: number): number {
  const base = Math.min(max, min * 2 ** attempt);
  return base / 2 + Math.random() * base / 2;
}

function fail(action: string, rule: string, value: unknown): TypeError {
  return new TypeError(`Cannot ${action}: ${rule}, current value is ${show(value)}`);
}

/** Throws unless `opts.rooms` (and `opts.except`, when present) are Sets. */
export function checkBroadcastOptions(action: string, opts: BroadcastOptions): void {
  checkSet(action, "opts.rooms", opts?.rooms);
  if (opts.except !== undefined) checkSet(action, "opts.except", opts.except);
}

/** Throws unless `value` is an array. */
export function checkArray(
  action: string,
  name: string,
  value: unknown,
): asserts value is unknown[] {
  if (!Array.isArray(value)) throw fail(action, `${name} must be an array`, value);
}

/** Throws unless `value` is a Set. */
export function checkSet(action: string, name: string, value: unknown): void {
  if (!(value instanceof Set)) throw fail(action, `${name} must be a Set`, value);
}

/** Throws unless `value` is a function. */
export function checkFunction(action: string, name: string, value: unknown): void {
  if (typeof value !== "function") throw fail(action, `${name} must be a function`, value);
}

/** Throws unless `value` is a string. */
export function checkString(
  action: string,
  name: string,
  value: unknown,
): asserts value is string {
  if (typeof value !== "string") throw fail(action, `${name} must be a string`, value);
}

/** Throws unless `nsp` looks like an AdapterNamespace. */
export function checkNamespace(nsp: AdapterNamespace): void {
  if (typeof nsp?.encode !== "function" || typeof nsp.sockets?.get !== "function") {
    throw fail("create Adapter", "nsp must be an AdapterNamespace", nsp);
  }
}

/** Throws a RangeError unless `value` is a positive safe integer. */
export function checkMaxLogSize(value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create Adapter: maxLogSize must be a positive integer, current value is ${
        show(value)
      }`,
    );
  }
}

/** The namespace's `maxDisconnectionDuration`, or a RangeError unless finite and ≥ 0. */
export function checkMaxDisconnectionDuration(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      "Cannot create Adapter: maxDisconnectionDuration must be a finite number ≥ 0, " +
        `current value is ${show(value)}`,
    );
  }
  return value;
}
