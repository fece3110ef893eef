"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import "./history-components.css";

/** The top bar's "Find a SKU or order" box: opens the key timeline of what was typed. */
export function KeySearch() {
  const router = useRouter();
  const [value, setValue] = useState("");
  return (
    <form
      role="search"
      className="key-search"
      onSubmit={(e) => {
        e.preventDefault();
        const key = value.trim();
        if (key) router.push(`/keys/${encodeURIComponent(key)}`);
      }}
    >
      <label htmlFor="key-search" className="sr-only">Find a SKU or order</label>
      <input id="key-search" className="input" type="search" placeholder="Find a SKU or order" value={value} onChange={(e) => setValue(e.target.value)} />
    </form>
  );
}
