// Memory settings of the processes `npm start` runs (README "Configuration",
// docs/decisions/0031-memory-of-npm-start.md): its own, which serves the web app
// (scripts/start.ts, docs/decisions/0043), and the runtime worker it starts.
//
// - --heap-growing-percent (a node flag, before the script): after a major GC V8 lets the heap
//   grow to (1 + percent/100) × what survived before the next one, instead of up to 4 × under a
//   high allocation rate. Both processes allocate fast and keep little: the web app's live heap
//   under ingest is ~60-80 MB after a full GC while its heap grew to ~300 MB between
//   collections, and the worker's growth was mostly ArrayBuffers (NATS messages, query results)
//   waiting for a late major GC (decision 0027). A soft bound, not a limit: a process that really
//   needs more heap (a burst of large batch requests, a backlog over many partitions) still gets
//   it, where a --max-old-space-size would end it. The worker 1.5 ×, at the same CPU per event;
//   the web app 2 ×: at 1.5 × its CPU per ingested event rose by ~15 % relative to the bare
//   server's. (A 256 MB limit on the worker bounded it about as well but cost more CPU per event;
//   --optimize-for-size on the web app doubled its CPU per event.)
// - MALLOC_ARENA_MAX=2: glibc gives threads that allocate their own malloc arenas (up to 8 per
//   core) and returns little of them to the system; libuv, V8's GC helpers and the expression
//   threads allocate from many threads. An operator's own value is kept.
// - --liftoff-only (a V8 flag): WebAssembly is compiled by V8's baseline compiler only, never by
//   its optimizing one. The one large WebAssembly module both processes load is Prisma's query
//   compiler; optimizing it left ~60 MB of malloc'd memory resident in each process from the first
//   queries on (the worker's RSS at start 183–199 MB, with the flag 129 MB), for no measurable gain:
//   a Prisma query cost the same CPU either way (~320–360 µs), and the runtime's hot path does not
//   use Prisma (docs/decisions/0042-webassembly-baseline-compiler-only.md).
// - --max-semi-space-size=8 (the worker only): V8's young generation is two semi-spaces of up to
//   16 MB each by default; the worker's short-lived garbage (a batch's messages, rows, JSON) fits
//   in 8 MB ones. −10 to −20 MB RSS at the same CPU per event; on the web app it cost ~5 % of its
//   CPU per ingested event (docs/decisions/0045-worker-young-generation.md).

/** Node flags of the web app's or the worker's process (before the script). */
export function nodeArgs(role: "web" | "worker"): string[] {
  return role === "web" ? ["--heap-growing-percent=100", "--liftoff-only"] : ["--heap-growing-percent=50", "--max-semi-space-size=8", "--liftoff-only"];
}

/**
 * What `npm start` runs (package.json's start script: the test checks they are the same), for
 * the bench and the browser tests, which start the app as users do: `node <this>`.
 */
export function startCommandArgs(): string[] {
  return [...nodeArgs("web"), "scripts/run-bundled.mjs", "start"];
}

/**
 * The environment of the worker's process. npm start's own process, which serves the web app,
 * gets the same MALLOC_ARENA_MAX from package.json's start script (glibc reads it when the
 * process starts, so it must be set before); the bench and the browser tests start that process
 * with this environment.
 */
export function memoryEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? "2" };
}
