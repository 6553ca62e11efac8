import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { Http } from "../../../src/authentik/http.ts";

/** A server that holds every answer until the test releases it. */
async function holdingServer() {
  const held: ServerResponse[] = [];
  const server = createServer((_req, res) => void held.push(res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    held,
    release: () => held.splice(0).forEach((res) => res.end("ok")),
    [Symbol.asyncDispose]: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};

describe("Http.whileWaiting", () => {
  it("runs a task once the requests are out, before their answers, and only once", async () => {
    await using server = await holdingServer();
    const http = new Http();
    let ran = 0;
    http.whileWaiting(() => (ran += 1));
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toBe(0); // no request yet: nothing to wait for
    const answers = Promise.all([http.request(server.url, { timeoutMs: 5000 }), http.request(server.url, { timeoutMs: 5000 })]);
    // The server holds both answers: the task must run while they are awaited.
    await until(() => ran === 1 && server.held.length === 2);
    server.release();
    expect((await answers).map((a) => a.text)).toEqual(["ok", "ok"]);
    const third = http.request(server.url, { timeoutMs: 5000 });
    await until(() => server.held.length === 1);
    server.release();
    await third;
    expect(ran).toBe(1);
    http.close();
  });

  it("a request that fails before it is sent, or times out, does not hold the next task back; a throwing task is ignored", async () => {
    const http = new Http();
    await expect(http.request("http://127.0.0.1:1/", { timeoutMs: 2000 })).rejects.toThrow();
    await using server = await holdingServer();
    // Sent, then given up (a timeout): counted once.
    await expect(http.request(server.url, { timeoutMs: 50 })).rejects.toThrow(/no answer within/);
    server.held.length = 0;
    let ran = false;
    http.whileWaiting(() => {
      throw new Error("ignored");
    });
    http.whileWaiting(() => (ran = true));
    const answer = http.request(server.url, { timeoutMs: 5000 });
    await until(() => ran && server.held.length === 1);
    server.release();
    expect((await answer).status).toBe(200);
    http.close();
  });
});

/** A server that does not read request bodies: once the sockets' buffers are full, the rest cannot be written. */
async function notReadingServer() {
  const held: { req: IncomingMessage; res: ServerResponse }[] = [];
  const server = createServer((req, res) => {
    req.pause();
    held.push({ req, res });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    held,
    [Symbol.asyncDispose]: () => new Promise<void>((r) => (server.close(() => r()), server.closeAllConnections())),
  };
}

const BIG = "x".repeat(64 * 1024 * 1024);

describe("Http.sent", () => {
  it("settles at once with nothing pending, and once a request is written in full, not before", async () => {
    await using server = await notReadingServer();
    const http = new Http();
    await http.sent();
    const answer = http.request(server.url, { method: "POST", body: BIG, timeoutMs: 20_000 });
    let out = false;
    const sent = http.sent().then(() => (out = true));
    await until(() => server.held.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(out).toBe(false);
    const { req, res } = server.held[0]!;
    req.resume();
    req.on("end", () => res.end("ok"));
    await sent;
    expect((await answer).text).toBe("ok");
    http.close();
  });

  it("waits only for the requests made before it was called", async () => {
    await using server = await notReadingServer();
    const http = new Http();
    const small = http.request(server.url, { timeoutMs: 20_000 });
    const sent = http.sent();
    // Made afterwards, and never written in full while the server does not read it.
    const big = http.request(server.url, { method: "POST", body: BIG, timeoutMs: 20_000 });
    await sent;
    await until(() => server.held.length === 2);
    for (const { req, res } of server.held) {
      req.resume();
      req.on("end", () => res.end("ok"));
    }
    expect([(await small).text, (await big).text]).toEqual(["ok", "ok"]);
    http.close();
  });

  it("settles once the answer is in, though the server answered before reading the whole body", async () => {
    // A raw server: it answers as soon as the headers are in and reads nothing more, keeping the connection.
    const sockets: Socket[] = [];
    const server = createNetServer((socket) => {
      sockets.push(socket);
      socket.once("data", () => {
        socket.pause();
        socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    await using _ = { [Symbol.asyncDispose]: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))) };
    const http = new Http();
    const answer = http.request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { method: "POST", body: BIG, timeoutMs: 20_000 });
    expect((await answer).text).toBe("ok");
    await http.sent();
    http.close();
  });

  it("settles when a request fails before it is written", async () => {
    // A port that was just free: nothing listens there now.
    const probe = createNetServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const http = new Http();
    const refused = expect(http.request(`http://127.0.0.1:${port}/`, { timeoutMs: 2000 })).rejects.toThrow(/ECONNREFUSED/);
    await http.sent();
    await refused;
    http.close();
  });
});
