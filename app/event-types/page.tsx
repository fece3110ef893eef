import type { Metadata } from "next";
import { EventTypesPage } from "./event-types-page";

export const metadata: Metadata = { title: "Event types · Syncline" };

export default function Page() {
  return <EventTypesPage />;
}
