import { screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { setAdminZone } from '../format';
import { renderUi } from '../test/render';
import { SearchState } from './Overview';

describe('Overview: search state', () => {
  afterEach(() => setAdminZone(null));
  it("says since when search is down, in the admin's zone, not as a raw timestamp", () => {
    setAdminZone('Asia/Ho_Chi_Minh');
    renderUi(<SearchState search={{ backend: 'meilisearch', state: 'unavailable', down_since: '2026-11-28T01:05:00Z' }} />);
    const badge = screen.getByTestId('search-state');
    expect(badge).toHaveTextContent('Unavailable since Nov 28, 2026, 8:05 AM');
    expect(badge).not.toHaveTextContent('2026-11-28T01:05');
    expect(badge).toHaveAttribute('title', '2026-11-28T01:05:00Z (Asia/Ho_Chi_Minh)');
  });
  it('says unavailable without a time when the server gives none, and up when up', () => {
    const { unmount } = renderUi(<SearchState search={{ backend: 'embedded', state: 'unavailable', down_since: null }} />);
    expect(screen.getByTestId('search-state')).toHaveTextContent(/^Unavailable$/);
    unmount();
    renderUi(<SearchState search={{ backend: 'embedded', state: 'up' }} />);
    expect(screen.getByTestId('search-state')).not.toHaveTextContent('Unavailable');
  });
});
