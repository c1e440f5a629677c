// The benchmark's one way to print: its output is the point.

/** Prints a line to stdout. */
export function print(line = ""): void {
  // deno-lint-ignore no-console -- a benchmark reports on the console
  console.log(line);
}
