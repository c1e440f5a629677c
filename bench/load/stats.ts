// Percentiles of latency samples.

/**
 * The nearest-rank percentile of samples.
 *
 * @param sorted Samples in ascending order.
 * @param p The percentile, 0 to 100.
 * @returns The sample at that rank, or NaN when there are none.
 */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** A growable store of latency samples in milliseconds, capped in count. */
export class Samples {
  #values: Float64Array;
  #length = 0;
  readonly #cap: number;

  constructor(cap = 4_000_000) {
    this.#cap = cap;
    this.#values = new Float64Array(Math.min(cap, 65536));
  }

  add(value: number): void {
    if (this.#length === this.#values.length) {
      if (this.#length >= this.#cap) return;
      const grown = new Float64Array(Math.min(this.#cap, this.#values.length * 2));
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = value;
  }

  /** The samples, sorted ascending. */
  sorted(): Float64Array {
    return this.#values.slice(0, this.#length).sort();
  }
}
