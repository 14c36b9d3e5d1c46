'use client';

import { type FormEvent, type ReactNode, useEffect, useId, useRef } from 'react';
import { Button } from './button';

export interface ConfirmDialogProps {
  /** The dialog is shown while this is true; the caller closes it by setting it false (after a success, say). */
  open: boolean;
  title: ReactNode;
  /** What will happen, said plainly; may hold controls (a choice the confirmation depends on). */
  children: ReactNode;
  confirmLabel: string;
  /** Shown on the confirm button while the action runs. */
  pendingLabel?: string;
  /** The button that leaves things as they are. */
  cancelLabel?: string;
  /** The action runs: both buttons and Escape wait for it, so its outcome is seen. */
  pending?: boolean;
  /** Confirming is not possible now (the body says why). */
  confirmDisabled?: boolean;
  /** Why the action failed, if it did; the dialog stays open. */
  error?: ReactNode;
  onConfirm(): void;
  /** The person left without confirming (the cancel button or Escape). */
  onCancel(): void;
}

/**
 * Asks before something that cannot be taken back. A native modal <dialog>: the rest of the page
 * is inert, the focus starts on the safe button (so Enter does not confirm by accident) and stays
 * inside, Escape cancels, and the focus returns to the button that opened it. Its body and buttons
 * are one form (a choice in the body goes with the confirmation), so it is not placed inside another.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  pendingLabel = 'Working…',
  cancelLabel = 'Cancel',
  pending = false,
  confirmDisabled = false,
  error,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!pending && !confirmDisabled) onConfirm();
  };

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(event) => {
        // Escape while the action runs would hide its outcome.
        if (pending) event.preventDefault();
      }}
      onClose={() => {
        // Closed by the person (Escape, or a browser that lets a repeated Escape through); a close
        // asked for by the caller (open set false) is not a cancel.
        if (open) onCancel();
      }}
      className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-xl bg-white p-0 shadow-xl ring-1 ring-slate-200 backdrop:bg-slate-900/40"
    >
      <form onSubmit={submit}>
        <div className="px-5 py-4">
          <h2 id={titleId} className="text-base font-semibold break-words text-slate-900">
            {title}
          </h2>
          <div id={bodyId} className="mt-2 space-y-2 text-sm text-slate-700">
            {children}
          </div>
          {error && (
            <p role="alert" className="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800 ring-1 ring-inset ring-red-200">
              {error}
            </p>
          )}
        </div>
        <div className="flex flex-wrap justify-end gap-2 border-t border-slate-100 px-5 py-3">
          <Button variant="secondary" onClick={() => ref.current?.close()} disabled={pending} autoFocus>
            {cancelLabel}
          </Button>
          <Button type="submit" variant="danger" disabled={pending || confirmDisabled}>
            {pending ? pendingLabel : confirmLabel}
          </Button>
        </div>
      </form>
    </dialog>
  );
}
