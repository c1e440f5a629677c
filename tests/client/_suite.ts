// The shared suite: our client against a real server over a real wire, one Deno.test per server
// and transport list, one step per behaviour (the cases are in _cases_*.ts).
// against_official_test.ts and against_ours_test.ts run it against socket.io 4.8.4 on Node and
// against our Server on Deno.
import { CONNECTION_CASES } from "./_cases_connection.ts";
import { EVENT_CASES } from "./_cases_events.ts";
import { Clients, type ServerKind, TRANSPORTS } from "./_servers.ts";

const CASES = [...CONNECTION_CASES, ...EVENT_CASES];

/** Registers the suite against one kind of server, one test per transport list. */
export function suite(kind: ServerKind): void {
  for (const transports of TRANSPORTS) {
    Deno.test(`client against ${kind.name} server (${transports.join("+")})`, async (t) => {
      const server = await kind.start();
      try {
        for (const [name, run] of CASES) {
          await t.step(name, async () => {
            const clients = new Clients({ transports });
            try {
              await run({ kind, server, url: server.url, transports, clients });
            } finally {
              clients.disconnectAll();
            }
          });
        }
      } finally {
        await server.stop();
      }
    });
  }
}
