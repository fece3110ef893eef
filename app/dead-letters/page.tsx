import type { Metadata } from "next";
import { Suspense } from "react";
import { LoadingRows } from "@/app/components/states";
import { DeadLettersPage } from "./dead-letters-page";

export const metadata: Metadata = { title: "Dead letters" };

export default function Page() {
  // The filters live in the URL (shareable, back button); reading them needs a Suspense boundary.
  return (
    <Suspense fallback={<div className="page"><div className="page-inner"><LoadingRows label="Loading dead letters" /></div></div>}>
      <DeadLettersPage />
    </Suspense>
  );
}
