import assert from "node:assert/strict";
import fc from "fast-check";
import { Buffer } from "node:buffer";
import { decodeBase64, encodeBase64 } from "../../parser/mod.ts";
import { decodeBase64Fallback, encodeBase64Fallback } from "../../parser/_base64_fallback.ts";

Deno.test("encodeBase64() and its fallback agree with Node's Buffer on random bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      const expected = Buffer.from(bytes).toString("base64");
      assert.equal(encodeBase64(bytes), expected);
      assert.equal(encodeBase64Fallback(bytes), expected);
      assert.deepEqual(decodeBase64(expected), bytes);
      assert.deepEqual(decodeBase64Fallback(expected), bytes);
      assert.deepEqual(decodeBase64Fallback(expected.replace(/=+$/, "")), bytes);
    }),
    { numRuns: 500 },
  );
});

Deno.test("decodeBase64() and its fallback throw SyntaxError on invalid input", () => {
  for (const text of ["A", "AAAAA", "A===", "**", "AQ=D", "é"]) {
    assert.throws(() => decodeBase64(text), SyntaxError, `native ${JSON.stringify(text)}`);
    assert.throws(
      () => decodeBase64Fallback(text),
      SyntaxError,
      `fallback ${JSON.stringify(text)}`,
    );
  }
});

Deno.test("decodeBase64() and its fallback skip ASCII white space alike", () => {
  assert.deepEqual(decodeBase64("AQ ID\n"), new Uint8Array([1, 2, 3]));
  assert.deepEqual(decodeBase64Fallback("AQ ID\n"), new Uint8Array([1, 2, 3]));
});
