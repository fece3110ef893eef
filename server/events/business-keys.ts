// The keys a person searches runs by: the ordering key plus the identifying fields of the built-in
// event types (a product's `sku`, an order's `orderId` and the SKUs of its lines). The worker
// stores them on every run it writes, so "SKU-123" or an order number finds runs through one GIN
// index lookup instead of a scan of stored JSON (docs/decisions/0011-run-search-by-business-key.md).
// Browser-safe and dependency-free: the writer and the search box normalise the same way.

/** Cap so one huge order cannot make a run row carry thousands of keys. */
const MAX_BUSINESS_KEYS = 50;
const MAX_KEY_LENGTH = 200;

function add(keys: Set<string>, value: unknown) {
  if (typeof value !== "string" && typeof value !== "number") return;
  const key = String(value).trim();
  if (key !== "" && key.length <= MAX_KEY_LENGTH && keys.size < MAX_BUSINESS_KEYS) keys.add(key);
}

/** The business keys of one event, ordering key first. */
export function businessKeysOf(event: { subject?: unknown; data?: unknown }): string[] {
  const keys = new Set<string>();
  add(keys, event.subject);
  const data = event.data;
  if (data && typeof data === "object" && !Array.isArray(data)) {
    const record = data as Record<string, unknown>;
    add(keys, record.sku);
    add(keys, record.orderId);
    if (Array.isArray(record.lines)) {
      for (const line of record.lines) if (line && typeof line === "object") add(keys, (line as Record<string, unknown>).sku);
    }
  }
  return [...keys];
}
