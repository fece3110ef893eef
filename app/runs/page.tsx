import type { Metadata } from "next";
import { Suspense } from "react";
import { LoadingRows } from "@/app/components/states";
import { RunsPage } from "./runs-page";

export const metadata: Metadata = { title: "Runs" };

export default function Page() {
  // The filters live in the URL (useSearchParams), which needs a Suspense boundary to prerender.
  return (
    <Suspense fallback={<LoadingRows rows={6} label="Loading runs" />}>
      <RunsPage />
    </Suspense>
  );
}
