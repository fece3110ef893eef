"use client";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";

// Filters that live in the URL, so a filtered list can be shared, bookmarked and survives reload.
// Values are strings; empty values are dropped from the URL. The page parses them into its own
// types (and the server validates them again).

export type UrlFilters<K extends string> = Partial<Record<K, string>>;

export function useUrlFilters<K extends string>(names: readonly K[]): {
  filters: UrlFilters<K>;
  setFilter: (name: K, value: string | undefined) => void;
  setFilters: (values: UrlFilters<K>) => void;
  clear: () => void;
} {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const key = params.toString();

  const filters = useMemo(() => {
    const out: UrlFilters<K> = {};
    for (const name of names) {
      const value = params.get(name);
      if (value) out[name] = value;
    }
    return out;
    // `key` stands for the params' content; `names` is a constant list.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  const setFilters = useCallback(
    (values: UrlFilters<K>) => {
      const next = new URLSearchParams(params.toString());
      for (const [name, value] of Object.entries(values) as [K, string | undefined][]) {
        if (value === undefined || value === "") next.delete(name);
        else next.set(name, value);
      }
      const query = next.toString();
      router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
    },
    [params, router, pathname],
  );

  const setFilter = useCallback((name: K, value: string | undefined) => setFilters({ [name]: value } as UrlFilters<K>), [setFilters]);
  const clear = useCallback(() => router.replace(pathname, { scroll: false }), [router, pathname]);
  return { filters, setFilter, setFilters, clear };
}
