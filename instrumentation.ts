// Next.js calls register() once when a server instance starts, before it handles requests.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { prepareApp } = await import("./server/app-startup");
    await prepareApp();
  }
}
