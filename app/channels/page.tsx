import type { Metadata } from "next";
import { ChannelsPage } from "./channels-page";

export const metadata: Metadata = { title: "Channels" };

export default function Page() {
  return <ChannelsPage />;
}
