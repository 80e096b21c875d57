// A formula rendered by KaTeX (lazy-loaded, src/ui/katexLoader.ts); its TeX source shows until then. Imports React only.

import { useEffect, useRef } from 'react';
import { renderTex } from '../katexLoader.ts';

export function Tex({ tex, testId, block = false }: { tex: string; testId?: string; block?: boolean }) {
  const ref = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (ref.current) void renderTex(ref.current, tex);
  }, [tex]);
  return (
    <span ref={ref} className={block ? 'tex tex-block' : 'tex'} data-testid={testId}>
      {tex}
    </span>
  );
}
