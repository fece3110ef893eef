"use client";
import { createContext, useContext, type ReactNode } from "react";
import { Toaster, toast } from "sonner";

type ToastKind = "info" | "success" | "error";

/**
 * Short-lived notices ("Saved", "Published v3") through sonner. Errors stay until read or
 * dismissed (each has a close button), at most three show at once, and the same message again
 * replaces the one on screen instead of stacking. Bottom centre, so a toast never covers the
 * editor's problems panel or inspector on the right.
 */
function show(message: string, kind: ToastKind = "info") {
  if (kind === "error") toast.error(message, { id: `error:${message}`, duration: 10_000, closeButton: true });
  else if (kind === "success") toast.success(message, { id: `success:${message}` });
  else toast(message, { id: `info:${message}` });
}

const ToastContext = createContext<(message: string, kind?: ToastKind) => void>(show);

export function ToastProvider({ children }: { children: ReactNode }) {
  return (
    <ToastContext.Provider value={show}>
      {children}
      <Toaster position="bottom-center" visibleToasts={3} duration={3_500} closeButton={false} containerAriaLabel="Notifications" />
    </ToastContext.Provider>
  );
}

export function useToast() {
  return useContext(ToastContext);
}
