import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import { formatBytes, formatDateTime } from '../format';
import { visibleNav } from '../layout/Shell';
import { tokenFrom } from '../pages/AcceptInvitation';
import { toQuery } from '../pages/Audit';
import { groupByFeature } from '../pages/Roles';
import { renderUi } from '../test/render';
import { Confirm } from './Confirm';
import { DataTable } from './DataTable';
import { PageTabs } from './PageTabs';
import { Pager } from './Pager';
import { ProblemAlert } from './ProblemAlert';

describe('ProblemAlert', () => {
  it("shows the server's detail, code and request id", () => {
    renderUi(
      <ProblemAlert error={new ApiError(409, { title: 'Conflict', detail: 'a run is going on', code: 'run_in_progress', request_id: 'r-9' })} />,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('a run is going on');
    expect(screen.getByText('run_in_progress')).toBeInTheDocument();
    expect(screen.getByText('r-9')).toBeInTheDocument();
  });
  it('renders nothing without an error', () => {
    const { container } = renderUi(<ProblemAlert error={null} />);
    expect(container.querySelector('[role=alert]')).toBeNull();
  });
});

describe('Pager', () => {
  it('goes forward with the cursor and back', async () => {
    const onNext = vi.fn();
    const onPrev = vi.fn();
    renderUi(<Pager hasPrev next="c2" onNext={onNext} onPrev={onPrev} />);
    await userEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(onNext).toHaveBeenCalledWith('c2');
    await userEvent.click(screen.getByRole('button', { name: 'Previous' }));
    expect(onPrev).toHaveBeenCalled();
  });
  it('is hidden on a single page', () => {
    renderUi(<Pager hasPrev={false} next={null} onNext={() => {}} onPrev={() => {}} />);
    expect(screen.queryByRole('button', { name: 'Next' })).toBeNull();
  });
});

describe('Confirm', () => {
  it('needs the word typed before the destructive button works', async () => {
    const onConfirm = vi.fn();
    renderUi(
      <Confirm opened onClose={() => {}} title="Delete Dana" confirmLabel="Delete" onConfirm={onConfirm} typeToConfirm="Dana">
        <p>Everything goes</p>
      </Confirm>,
    );
    const button = await screen.findByRole('button', { name: 'Delete' });
    expect(button).toBeDisabled();
    await userEvent.type(screen.getByLabelText(/Type/), 'Dana');
    expect(button).toBeEnabled();
    await userEvent.click(button);
    expect(onConfirm).toHaveBeenCalled();
  });
});

describe('DataTable', () => {
  it('renders a line per row and says when there is none', () => {
    const columns = [
      { key: 'n', header: 'Name', render: (r: { id: string; n: string }) => r.n },
      { key: 'id', header: 'Id', render: (r: { id: string; n: string }) => <code>{r.id}</code> },
    ];
    const { unmount } = renderUi(<DataTable label="things" columns={columns} rows={[{ id: 'a', n: 'Alpha' }, { id: 'b', n: 'Beta' }]} rowKey={(r) => r.id} />);
    const table = screen.getByRole('table', { name: 'things' });
    expect(table.querySelectorAll('tbody tr')).toHaveLength(2);
    expect(screen.getByRole('columnheader', { name: 'Name' })).toBeInTheDocument();
    expect(screen.getByText('Beta')).toBeInTheDocument();
    unmount();
    renderUi(<DataTable columns={columns} rows={[]} rowKey={(r) => r.id} />);
    expect(screen.getByText('Nothing here.')).toBeInTheDocument();
  });
});

describe('PageTabs', () => {
  it('opens the first tab and shows another when chosen', async () => {
    renderUi(
      <PageTabs
        tabs={[
          { value: 'a', label: 'Alpha', content: <p>first panel</p> },
          { value: 'b', label: 'Beta', content: <p>second panel</p> },
        ]}
      />,
    );
    expect(screen.getByText('first panel')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('tab', { name: 'Beta' }));
    expect(await screen.findByText('second panel')).toBeInTheDocument();
    expect(screen.queryByText('first panel')).toBeNull();
  });
});

describe('Confirm with consequences', () => {
  it('shows them and waits for the preview before the button works', async () => {
    const first = renderUi(
      <Confirm opened onClose={() => {}} title="Run" confirmLabel="Run now" onConfirm={() => {}} previewLoading>
        <p>intro</p>
      </Confirm>,
    );
    expect(await screen.findByRole('button', { name: 'Run now' })).toBeDisabled();
    first.unmount();
    renderUi(
      <Confirm opened onClose={() => {}} title="Run" confirmLabel="Run now" onConfirm={() => {}} consequences={[{ label: 'messages', value: 12, testId: 'n-messages' }]}>
        <p>intro</p>
      </Confirm>,
    );
    expect(await screen.findByTestId('n-messages')).toHaveTextContent('12');
    expect(screen.getByRole('button', { name: 'Run now' })).toBeEnabled();
  });
});

describe('helpers', () => {
  it('navigation follows permissions', () => {
    const staff = visibleNav(() => false).map((n) => n.to);
    expect(staff).toEqual(['/', '/storage']);
    const admin = visibleNav(() => true).map((n) => n.to);
    expect(admin).toContain('/people');
    expect(admin).toContain('/retention');
    const auditor = visibleNav((p) => p === 'audit.read').map((n) => n.to);
    expect(auditor).toEqual(['/', '/audit', '/storage']);
  });
  it('takes the token out of an invitation link', () => {
    expect(tokenFrom('https://stoa.example/invite#token=abc%2Bd')).toBe('abc+d');
    expect(tokenFrom('#token=xyz')).toBe('xyz');
    expect(tokenFrom('  plain ')).toBe('plain');
  });
  it('audit filters become query parameters', () => {
    const q = toQuery({ action: ' user.disabled ', actor_id: '', target_id: '', outcome: 'failure', since: '', until: '' });
    expect(q).toEqual({ action: 'user.disabled', actor_id: undefined, target_id: undefined, outcome: 'failure', since: undefined, until: undefined });
  });
  it('groups the catalogue by feature in order', () => {
    const g = groupByFeature([
      { key: 'users.read', feature: 'users', description: '', staff: false },
      { key: 'audit.read', feature: 'audit', description: '', staff: false },
      { key: 'users.manage', feature: 'users', description: '', staff: false },
    ]);
    expect(g.map(([f, ps]) => [f, ps.map((p) => p.key)])).toEqual([
      ['users', ['users.read', 'users.manage']],
      ['audit', ['audit.read']],
    ]);
  });
  it('formats sizes and times in the given zone and language', () => {
    expect(formatBytes(1536, 'en')).toBe('1.5 KiB');
    expect(formatBytes(0, 'en')).toBe('0 B');
    expect(formatDateTime('2026-01-02T03:04:00Z', 'en', 'Asia/Ho_Chi_Minh')).toContain('10:04');
    expect(formatDateTime(null, 'en')).toBe('—');
  });
});
