import { useState } from 'react';

/** The cursor trail of a paged list: current cursor, and how to go forward and back. */
export function useCursor() {
  const [trail, setTrail] = useState<string[]>([]);
  const cursor = trail.length ? trail[trail.length - 1] : undefined;
  return {
    cursor,
    hasPrev: trail.length > 0,
    next: (c: string) => setTrail((t) => [...t, c]),
    prev: () => setTrail((t) => t.slice(0, -1)),
    reset: () => setTrail([]),
  };
}
