// Our client against the official socket.io 4.8.4 server on Node, over every transport list.
import { suite } from "./_suite.ts";
import { OFFICIAL } from "./_servers.ts";

suite(OFFICIAL);
