// Memory settings `npm start` (scripts/start.ts) gives the processes it starts, the web app and the
// runtime worker (README "Performance", docs/decisions/0031-memory-of-npm-start.md).
//
// - MALLOC_ARENA_MAX=2: glibc gives every thread that allocates its own malloc arena (up to 8 per
//   core) and returns little of them to the system; Node's libuv, V8 and expression threads
//   allocate from many threads. Two arenas keep the malloc heap from fanning out.
// - The web app: a smaller V8 heap growing factor (webNodeArgs).
// - The worker's V8 old-space limit, sized from its partitions: without one V8 sizes the heap
//   from the machine's memory (~4 GB here) and has no reason to collect early, so the
//   ArrayBuffers behind NATS messages and query results linger until a late major GC
//   (decision 0027 found most of the growth was there, not in the live heap). The live heap
//   under a backlog grows with the partitions a worker owns (one batch pulled ahead and one
//   buffered each), hence 128 MB + 8 MB per partition: 256 MB at the default 16.
//
// Both give way to the operator: a MALLOC_ARENA_MAX already set is kept, and our V8 flag goes
// first in NODE_OPTIONS, so a --max-old-space-size of the operator's (later) wins.

/** The worker's V8 old-space limit in MB for `partitions` partitions. */
export function workerHeapLimitMb(partitions: number): number {
  return 128 + 8 * Math.max(1, partitions);
}

function withNodeOption(env: NodeJS.ProcessEnv, option: string): string {
  return [option, env.NODE_OPTIONS ?? ""].join(" ").trim();
}

/**
 * Node flags of the web app's process (before its script). --heap-growing-percent=50: after a
 * major GC V8 lets the heap grow to 1.5 × what survived, instead of up to 4 × under a high
 * allocation rate. The web app's live heap under ingest is ~60-80 MB after a full GC while its
 * heap grew to ~300 MB between collections (decision 0031). A soft bound: no hard heap limit
 * here, since a burst of large batch requests may need far more for a moment and the web app's
 * end stops everything `npm start` runs. (--optimize-for-size bounded it too but doubled the web
 * app's CPU per ingested event.)
 */
export function webNodeArgs(): string[] {
  return ["--heap-growing-percent=50"];
}

/** The environment of the web app's process. */
export function webProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? "2" };
}

/** The environment of the runtime worker's process. */
export function workerProcessEnv(env: NodeJS.ProcessEnv, partitions: number): NodeJS.ProcessEnv {
  return {
    ...env,
    MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? "2",
    NODE_OPTIONS: withNodeOption(env, `--max-old-space-size=${workerHeapLimitMb(partitions)}`),
  };
}
