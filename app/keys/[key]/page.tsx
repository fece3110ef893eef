import type { Metadata } from "next";
import { KeyTimelinePage } from "./key-timeline-page";

export const metadata: Metadata = { title: "Key timeline" };

export default async function Page({ params }: { params: Promise<{ key: string }> }) {
  const { key } = await params;
  return <KeyTimelinePage orderingKey={decodeURIComponent(key)} />;
}
