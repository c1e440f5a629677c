// How many event streams an Upstash server holds: two (one pattern stream for every namespace's
// log, one for messages addressed to it), however many namespaces it has. Two servers, five
// namespaces each, official socket.io-client clients on both, broadcasts crossing in every
// namespace and polling requests forwarded to the session's owner; then one namespace closes
// and the others keep receiving, a namespace made later joins the streams, and a server that
// closes ends its two.
import assert from "node:assert/strict";
import { createUpstashAdapter, type UpstashAdapter } from "../../adapter/upstash.ts";
import { Server } from "../../server/mod.ts";
import { once, sleep, until, withUpstashCluster } from "./_upstash_cluster.ts";

const NAMESPACES = ["/", "/n1", "/n2", "/n3", "/n4"];

Deno.test("UpstashAdapter: a server with five namespaces, broadcasting and forwarding, holds two event streams; one namespace closing leaves the others receiving", async () => {
  await withUpstashCluster(
    {
      nodes: 2,
      server: { forwardRequests: true, pingInterval: 1000 },
      setup: (io) => {
        for (const name of NAMESPACES) io.of(name).on("connection", () => {});
      },
    },
    async ({ nodes, client, store }) => {
      const [a, b] = nodes.map((node) => node.io);
      const sockets = new Map<string, Awaited<ReturnType<typeof client>>[]>();
      for (const name of NAMESPACES) {
        sockets.set(
          name,
          await Promise.all(nodes.map((node) => client(`${node.url}${name === "/" ? "" : name}`))),
        );
      }
      // Every namespace's broadcasts cross both ways.
      const crossing = async (names: string[], tag: string) => {
        for (const name of names) {
          for (const [from, io] of [a!, b!].entries()) {
            const got = Promise.all(sockets.get(name)!.map((socket) => once(socket, "hi")));
            io.of(name).emit("hi", `${tag} ${name} ${from}`);
            assert.deepEqual(await got, Array(2).fill([`${tag} ${name} ${from}`]));
          }
        }
      };
      await crossing(NAMESPACES, "first");

      // A polling session owned by A, used through B: B forwards every request to A, and A's
      // answers come back on B's own channel. It joins /n2, where B then broadcasts.
      const base = "http://x/socket.io/?EIO=4&transport=polling";
      const handshake = await (await a!.fetch(new Request(base))).text();
      const at = `${base}&sid=${JSON.parse(handshake.slice(1)).sid}`;
      // Through B: a POST (answered "ok") or a GET (answered with what the session got).
      const viaB = async (body?: string) => {
        const init = body === undefined ? {} : { method: "POST", body };
        const response = await b!.fetch(new Request(at, init));
        assert.equal(response.status, 200);
        return await response.text();
      };
      assert.equal(await viaB("40/n2,"), "ok");
      assert.match(await viaB(), /^40\/n2,\{"sid":"[^"]+"\}$/);
      // What the session got since the last poll (broadcasts in /n2 included) ends with `event`.
      const poll = async (event: string) => {
        b!.of("/n2").emit(event);
        assert.equal((await viaB()).split("\x1e").at(-1), `42/n2,["${event}"]`);
      };
      await poll("forwarded");

      // Each server reads one pattern stream and its own channel. Each needs both (a log to
      // hear the other's broadcasts, its own channel to take or answer the forwarded
      // requests), so four in all means two each; before, one per namespace plus one.
      assert.equal(store.rest.subscriptions, 4);

      // /n1 of A closes: A's streams stay open, its other namespaces keep receiving.
      await nodes[0]!.adapter("/n1").close();
      await sleep(100);
      assert.equal(store.rest.subscriptions, 4);
      const others = NAMESPACES.filter((name) => name !== "/n1");
      await crossing(others, "after");
      await poll("still");

      // A namespace made now joins the open streams, and hears what is published once it is.
      for (const io of [a!, b!]) io.of("/late").on("connection", () => {});
      const late = await Promise.all(nodes.map((node) => client(`${node.url}/late`)));
      sockets.set("/late", late);
      await crossing(["/late"], "late");
      assert.equal(store.rest.subscriptions, 4);

      // B closes: its two streams end; A's stay, and still carry /late.
      await nodes[1]!.close();
      await store.rest.waitForSubscriptions(2);
      const got = once(late[0]!, "hi");
      a!.of("/late").emit("hi", "alone");
      assert.deepEqual(await got, ["alone"]);
      await until(() => store.rest.subscriptions === 2, "A kept its two streams");
    },
  );
});

Deno.test("UpstashAdapter: two servers made with one adapter class share nothing, whatever order their namespaces come in", async () => {
  const Upstash = createUpstashAdapter({ url: "http://127.0.0.1:9", token: "t" });
  const a = new Server({ adapter: Upstash });
  const b = new Server({ adapter: Upstash });
  try {
    // b's /admin comes first: it must not join a's streams (nor take a's uid).
    const uid = (io: Server, name: string) => (io.of(name).adapter as UpstashAdapter).uid;
    const bAdmin = uid(b, "/admin");
    const aAdmin = uid(a, "/admin");
    assert.equal(uid(a, "/"), aAdmin);
    assert.equal(uid(b, "/"), bAdmin);
    assert.notEqual(aAdmin, bAdmin);
  } finally {
    await a.close();
    await b.close();
  }
});
