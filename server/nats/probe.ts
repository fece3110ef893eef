import net from "node:net";

/** The fields of a nats-server's INFO line that Syncline looks at. */
export interface NatsInfoLine {
  server_id: string;
  version: string;
  jetstream?: boolean;
  [key: string]: unknown;
}

export type PortProbe =
  | { kind: "nats"; info: NatsInfoLine }
  /** Accepts TCP connections but did not greet like a nats-server. */
  | { kind: "other" }
  /** Nothing accepted the connection. */
  | { kind: "closed" };

/**
 * What listens on host:port. A nats-server sends `INFO {...}` as soon as a client connects, so
 * reading that line tells NATS apart from any other program without speaking the protocol, and
 * without the client library's reconnect machinery getting in the way of a quick yes/no.
 */
export function probeNatsPort(host: string, port: number, timeoutMs = 1000): Promise<PortProbe> {
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    let buffer = "";
    const socket = net.connect({ host, port });
    const finish = (result: PortProbe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    // A listener that accepts but never talks is "other": it occupies the port all the same.
    const timer = setTimeout(() => finish(connected ? { kind: "other" } : { kind: "closed" }), timeoutMs);
    socket.setEncoding("latin1");
    socket.on("connect", () => {
      connected = true;
    });
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf("\r\n");
      if (end === -1) {
        if (buffer.length > 64 * 1024) finish({ kind: "other" });
        return;
      }
      const line = buffer.slice(0, end);
      if (!line.startsWith("INFO ")) return finish({ kind: "other" });
      try {
        const info = JSON.parse(line.slice(5)) as NatsInfoLine;
        finish(typeof info.server_id === "string" ? { kind: "nats", info } : { kind: "other" });
      } catch {
        finish({ kind: "other" });
      }
    });
    socket.on("error", () => finish(connected ? { kind: "other" } : { kind: "closed" }));
    socket.on("close", () => finish(connected ? { kind: "other" } : { kind: "closed" }));
  });
}

/** A port on 127.0.0.1 that nobody listens on right now (the OS picks it). */
export function findFreePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("could not determine a free port"))));
    });
  });
}

/** Whether a listener could bind host:port right now. */
export function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}
