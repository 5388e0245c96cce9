import { describe, expect, it } from 'vitest';
import { toInput } from './Policy';

describe('retention policy draft', () => {
  it('sends only what changed: periods, defaults restored, switches', () => {
    expect(toInput({ periods: {} })).toEqual({ set: [], reset: [] });
    expect(
      toInput({
        periods: { messages_channel: { days: 90 }, notes: { days: null }, trash: 'default' },
        exempt_pinned: false,
        owner_min_days: null,
        confirm_threshold: 10,
      }),
    ).toEqual({
      set: [
        { class: 'messages_channel', days: 90 },
        { class: 'notes', days: null },
      ],
      reset: ['trash'],
      exempt_pinned: false,
      owner_min_days: 0,
      confirm_threshold: 10,
    });
  });
});
