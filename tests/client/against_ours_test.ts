// Our client against our Server on Deno.serve, over every transport list.
import { suite } from "./_suite.ts";
import { OURS } from "./_servers.ts";

suite(OURS);
