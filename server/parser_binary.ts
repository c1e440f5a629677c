/**
 * Binary frames in the form a parser expects; the function lives in parser/ since the client
 * needs it too.
 *
 * @module
 */

export * from "../parser/parser_binary.ts";
