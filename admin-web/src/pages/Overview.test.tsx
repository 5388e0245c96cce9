import { screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setAdminZone } from '../format';
import { answer, stubApi } from '../test/api';
import { renderUi } from '../test/render';
import { PeopleCounts, SearchState } from './Overview';

describe('Overview: people counts', () => {
  afterEach(() => vi.restoreAllMocks());
  it('shows the exact counts the server makes, past any page size, in one request', async () => {
    const seen = stubApi({
      'GET /users/counts': { invited: 3, active: 1234, disabled: 250, pending_erasure: 0, erased: 7, total: 1494 },
    });
    renderUi(<PeopleCounts />);
    await screen.findByTestId('stat-total');
    expect(screen.getByTestId('stat-active')).toHaveTextContent(/^1,234$/);
    expect(screen.getByTestId('stat-invited')).toHaveTextContent(/^3$/);
    expect(screen.getByTestId('stat-disabled')).toHaveTextContent(/^250$/);
    expect(screen.getByTestId('stat-pending_erasure')).toHaveTextContent(/^0$/);
    expect(screen.getByTestId('stat-total')).toHaveTextContent('1,494 accounts in all, 7 of them erased.');
    expect(screen.getByRole('link', { name: '1,234' })).toHaveAttribute('href', '/people?status=active');
    expect(seen.map((s) => s.path)).toEqual(['/users/counts']);
    expect(screen.queryByText(/\+/)).toBeNull();
  });
  it("says the server's problem instead of numbers", async () => {
    stubApi({ 'GET /users/counts': answer(403, { title: 'Permission denied', detail: 'this requires the `users.read` permission', code: 'forbidden' }) });
    renderUi(<PeopleCounts />);
    expect(await screen.findByRole('alert')).toHaveTextContent('this requires the `users.read` permission');
    expect(screen.queryByTestId('stat-active')).toBeNull();
  });
});

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
