// A tooltip that also works on touch (issue #12 §3): hover or focus shows it, and a tap toggles it (a phone has
// no hover). The text is in the DOM, so screen readers read it. Imports React only.

import { useState, type ReactNode } from 'react';

export function Tip({ label, children, testId }: { label: ReactNode; children: ReactNode; testId?: string }) {
  const [open, setOpen] = useState(false);
  return (
    <span className={`tip${open ? ' tip-open' : ''}`} data-testid={testId}>
      <button type="button" className="tip-label" aria-expanded={open} onClick={() => setOpen(!open)} onBlur={() => setOpen(false)}>
        {label}
      </button>
      <span role="tooltip" className="tip-body">
        {children}
      </span>
    </span>
  );
}
